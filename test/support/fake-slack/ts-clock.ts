/**
 * Slack message timestamps ("1700000000.000100"): seconds, a dot, six digits. They are ids as much
 * as times, so each generator hands out strictly increasing values.
 */

export interface TsClock {
  /** The next timestamp, strictly greater than every earlier one and every observed one. */
  next(): string;
  /** Notes a timestamp seen elsewhere (an incoming event), so later ones sort after it. */
  observe(ts: string): void;
}

/** A clock starting at `startSec`, stepping 100 µs per call (rolling over into the seconds). */
export function createTsClock(startSec = 1_700_000_000): TsClock {
  // Microseconds since startSec of the last timestamp handed out or observed.
  let micros = 0;
  return {
    next(): string {
      micros += 100;
      const sec = startSec + Math.floor(micros / 1_000_000);
      return `${sec}.${String(micros % 1_000_000).padStart(6, '0')}`;
    },
    observe(ts: string): void {
      const [s = '', f = ''] = ts.split('.');
      const seen = (Number(s) - startSec) * 1_000_000 + Number(f.padEnd(6, '0').slice(0, 6));
      if (Number.isFinite(seen) && seen > micros) micros = seen;
    },
  };
}

/** Compares two Slack timestamps numerically (as strings they only sort right when equally long). */
export function compareTs(a: string, b: string): number {
  const [as = '0', af = '0'] = a.split('.');
  const [bs = '0', bf = '0'] = b.split('.');
  const d = Number(as) - Number(bs);
  return d !== 0 ? d : Number(af.padEnd(6, '0')) - Number(bf.padEnd(6, '0'));
}
