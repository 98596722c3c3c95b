/**
 * Retention of the files beside the state (issue 15 §6): the age sweep of spilled completions and
 * downloads, with files a queued turn refers to kept, and the size rotation of codex logs. Real
 * files in a temp dir; the sweep timer on a manual clock.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { rotateIfLarge, startRetentionSweeps, sweepOldFiles } from '../../src/state/retention.js';
import { FakeClock, waitFor } from '../support/fake-clock.js';

const DAY = 24 * 3600_000;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sb-retention-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `rel` under dir with mtime `ageMs` before `now`. */
async function file(rel: string, ageMs: number, now: number, body = 'x'): Promise<string> {
  const p = path.join(dir, rel);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, body);
  const t = (now - ageMs) / 1000;
  await utimes(p, t, t);
  return p;
}

describe('retention', () => {
  it('removes files older than the age under every dir, recursively, except kept ones; missing dirs are skipped', async () => {
    const now = Date.now();
    const old = await file('completions/main/a.md', 8 * DAY, now, 'old spill');
    const fresh = await file('completions/main/b.md', 1 * DAY, now);
    const kept = await file('feishu/fs/files/m1/photo.png', 30 * DAY, now);
    const download = await file('feishu/fs/files/m2/doc.pdf', 9 * DAY, now, 'pdf!');
    const r = await sweepOldFiles([path.join(dir, 'completions'), path.join(dir, 'feishu'), path.join(dir, 'missing')], 7 * DAY, now, (f) => f === kept);
    expect(r).toEqual({ removed: 2, bytes: 'old spill'.length + 'pdf!'.length });
    expect([old, fresh, kept, download].map(existsSync)).toEqual([false, true, true, false]);
  });

  it('sweeps at start and again every hour on the clock', async () => {
    const clock = new FakeClock();
    const sweeps = startRetentionSweeps({ dirs: [dir], maxAgeMs: DAY, keep: () => false, clock, logger: silentLogger() });
    await sweeps.done;
    const late = await file('x/late.md', 2 * DAY, clock.now());
    expect(existsSync(late)).toBe(true);
    expect(clock.pending().map((t) => t.delayMs)).toEqual([3600_000]);
    clock.fireNext();
    await waitFor(() => !existsSync(late), 5000, 'the hourly sweep');
    sweeps.stop();
    await waitFor(() => clock.pending().length === 0, 5000, 'no timer after stop');
  });

  it('rotates a log larger than the limit to .1 (replacing an older one), leaves a small or missing one', async () => {
    const log = path.join(dir, 'codex-main.log');
    expect(await rotateIfLarge(log, 10)).toBe(false);
    await writeFile(log, 'small');
    expect(await rotateIfLarge(log, 10)).toBe(false);
    await writeFile(`${log}.1`, 'older rotation');
    await writeFile(log, 'a log line longer than ten bytes');
    expect(await rotateIfLarge(log, 10)).toBe(true);
    expect(existsSync(log)).toBe(false);
    expect(await readFile(`${log}.1`, 'utf8')).toBe('a log line longer than ten bytes');
  });
});
