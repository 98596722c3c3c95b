/**
 * `npm run bench`: every benchmark in turn, each printing its own figures, then one summary table
 * of the rows they marked (`printSummary` in ./stats.ts): the figure, Switchboard's value, its
 * baseline measured in the same run, and the ratio.
 *
 *   npm run bench                 # all of them (several minutes)
 *   npm run bench -- turn burst   # only those named: turn, burst, runtimes, sessions, mcp, state
 *
 * Each bench runs as its own process (a fresh heap and event loop each). Exits 1 when one crashed.
 */
import { execa } from 'execa';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUMMARY_PREFIX } from './stats.js';

const BENCHES: Record<string, string> = {
  turn: 'turn-overhead.ts',
  burst: 'burst.ts',
  runtimes: 'runtimes.ts',
  sessions: 'sessions.ts',
  mcp: 'mcp-memory.ts',
  state: 'state-cost.ts',
};

async function main(): Promise<number> {
  const asked = process.argv.slice(2);
  for (const name of asked) if (!BENCHES[name]) throw new Error(`unknown bench ${name} (known: ${Object.keys(BENCHES).join(', ')})`);
  const names = asked.length ? asked : Object.keys(BENCHES);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const rows: string[][] = [];
  let failed = 0;
  for (const name of names) {
    console.log(`\n=== ${name} (bench/${BENCHES[name]}) ===`);
    const child = execa(process.execPath, ['--import', 'tsx', path.join(here, BENCHES[name] ?? '')], { reject: false, all: true, buffer: false });
    let rest = '';
    child.all?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(SUMMARY_PREFIX)) rows.push(line.slice(SUMMARY_PREFIX.length).split('\t'));
        else console.log(line);
      }
    });
    const result = await child;
    if (rest) console.log(rest);
    if (result.exitCode !== 0) {
      failed++;
      console.log(`!! ${name} exited ${result.exitCode}`);
    }
  }
  const width = [40, 22, 22, 8];
  console.log(`\n=== summary (${os.cpus().length} CPUs, ${os.cpus()[0]?.model.trim() ?? '?'}, node ${process.version}) ===`);
  console.log(['figure', 'switchboard', 'baseline', 'ratio'].map((h, i) => h.padEnd(width[i] ?? 10)).join(' '));
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(width[i] ?? 10)).join(' '));
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
