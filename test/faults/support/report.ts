/**
 * The one line each fault scenario prints: `fault <name>: <figures> — ok`, or `— FAILING: <why>`
 * when a promise was broken. With `SB_FAULTS_REPORT=<file>` the line is also appended to that file
 * (so `npm run faults` can show every line together at the end).
 */
import { appendFileSync } from 'node:fs';

/**
 * Prints the scenario's line and returns it. `broken` lists the broken promises (empty: ok);
 * `skipped` marks a scenario that could not run here, with the reason.
 */
export function reportFault(name: string, figures: string, broken: readonly string[], skipped?: string): string {
  const verdict = skipped !== undefined ? `skipped: ${skipped}` : broken.length === 0 ? 'ok' : `FAILING: ${broken.join('; ')}`;
  const line = `fault ${name}: ${figures} — ${verdict}`;
  console.log(line);
  const file = process.env.SB_FAULTS_REPORT;
  if (file) appendFileSync(file, `${line}\n`);
  return line;
}
