/** Private files of the state dir (src/state/private-files.ts) and the writers that use them. */
import { chmodSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spillIfLarge } from '../../src/dispatch/completions.js';
import { ensurePrivateDir, ensurePrivateFile, PrivateJsonFile, tightenTree } from '../../src/state/private-files.js';
import { makeTempDir, removeTempDir } from '../support/temp.js';

let dir: string;
beforeEach(() => {
  dir = makeTempDir('sb-private-');
});
afterEach(async () => {
  await removeTempDir(dir);
});

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('private files', () => {
  it('PrivateJsonFile writes 0600 even over a looser leftover temp file, and reads what it wrote', async () => {
    const file = path.join(dir, 'state.json');
    writeFileSync(path.join(dir, '.state.json.tmp'), 'torn', { mode: 0o644 });
    chmodSync(path.join(dir, '.state.json.tmp'), 0o644);
    const adapter = new PrivateJsonFile<{ a: number }>(file);
    expect(await adapter.read()).toBeNull();
    await adapter.write({ a: 1 });
    expect(mode(file)).toBe(0o600);
    expect(await adapter.read()).toEqual({ a: 1 });
  });

  it('ensurePrivateDir and ensurePrivateFile create private and tighten existing ones', async () => {
    const sub = path.join(dir, 'a', 'b');
    await ensurePrivateDir(sub);
    expect([mode(path.join(dir, 'a')), mode(sub)]).toEqual([0o700, 0o700]);
    chmodSync(sub, 0o755);
    await ensurePrivateDir(sub);
    expect(mode(sub)).toBe(0o700);
    const log = path.join(sub, 'x.log');
    writeFileSync(log, 'old\n', { mode: 0o644 });
    chmodSync(log, 0o644);
    await ensurePrivateFile(log);
    expect(mode(log)).toBe(0o600);
  });

  it('tightenTree strips group/other bits (keeping the owner execute bit), skips listed dirs and symlinks', async () => {
    mkdirSync(path.join(dir, 'logs'));
    mkdirSync(path.join(dir, 'workspace'));
    writeFileSync(path.join(dir, 'logs', 'a.log'), '');
    writeFileSync(path.join(dir, 'run.sh'), '');
    writeFileSync(path.join(dir, 'workspace', 'shared.txt'), '');
    const outside = makeTempDir('sb-private-outside-');
    writeFileSync(path.join(outside, 'f'), '');
    chmodSync(path.join(outside, 'f'), 0o644);
    symlinkSync(path.join(outside, 'f'), path.join(dir, 'link'));
    chmodSync(dir, 0o755);
    chmodSync(path.join(dir, 'logs'), 0o775);
    chmodSync(path.join(dir, 'logs', 'a.log'), 0o666);
    chmodSync(path.join(dir, 'run.sh'), 0o755);
    chmodSync(path.join(dir, 'workspace', 'shared.txt'), 0o644);

    const result = await tightenTree(dir, [path.join(dir, 'workspace')]);
    expect(result.failed).toEqual([]);
    expect(result.tightened.sort()).toEqual(['.', 'logs', path.join('logs', 'a.log'), 'run.sh'].sort());
    expect([mode(dir), mode(path.join(dir, 'logs')), mode(path.join(dir, 'logs', 'a.log')), mode(path.join(dir, 'run.sh'))]).toEqual([
      0o700, 0o700, 0o600, 0o700,
    ]);
    expect(mode(path.join(dir, 'workspace', 'shared.txt'))).toBe(0o644);
    expect(mode(path.join(outside, 'f'))).toBe(0o644);
    expect(await tightenTree(path.join(dir, 'missing'))).toEqual({ tightened: [], failed: [] });
    await removeTempDir(outside);
  });

  it('a spilled completion is 0600 in a 0700 dir', async () => {
    const spill = path.join(dir, 'completions', 'main');
    const { spillPath } = await spillIfLarge('c:1', 'x'.repeat(100), spill, 10);
    expect(spillPath).not.toBeNull();
    expect([mode(spill), mode(spillPath!)]).toEqual([0o700, 0o600]);
  });
});
