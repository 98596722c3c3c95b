/**
 * Size of the fault-injection suite: `npm test` runs it reduced (a few messages, one kill), `npm run
 * faults` sets `SB_FAULTS=full` for the full size.
 */

/** True when `SB_FAULTS=full` (`npm run faults`). */
export const FULL_SIZE = process.env.SB_FAULTS === 'full';

/** `reduced` under `npm test`, `full` under `npm run faults`. */
export function bySize<T>(reduced: T, full: T): T {
  return FULL_SIZE ? full : reduced;
}
