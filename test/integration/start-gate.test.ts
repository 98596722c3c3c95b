/**
 * Bounded start-up (issue 15 §3) through the real service and codex: with `codex.startConcurrency`
 * 1, three dispatchers' app-servers start one after the other — each runtime's start window
 * (`lastStartedAt` → `lastReadyAt` of its record, set once it holds a slot) overlaps no other's — and
 * all three are ready and answer. With a cap of 3 they start at once. (Timings: bench/.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Service } from '../../src/service.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { startWithTestLog, testCodexConfig } from '../support/service.js';

let env: CodexTestEnv | undefined;
let service: Service | undefined;

afterEach(async () => {
  await service?.stop();
  await env?.cleanup();
  service = undefined;
  env = undefined;
});

async function startThree(startConcurrency: number): Promise<Array<{ id: string; from: number; to: number }>> {
  env = await codexTestEnv(() => ({ kind: 'reply', text: 'ok' }));
  const ids = ['d1', 'd2', 'd3'];
  const config = parseConfig(
    {
      stateDir: env.stateDir,
      codex: { ...testCodexConfig(env), startConcurrency },
      channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
      dispatchers: ids.map((id) => ({ id, cwd: env!.workDir, bindings: [{ channel: 'local', conversation: id }] })),
    },
    { file: '<test>' },
  );
  service = await startWithTestLog(config);
  return ids.map((id) => {
    const rec = service!.store.getDispatcher(id);
    expect(rec?.status).toBe('ready');
    return { id, from: rec?.lastStartedAt ?? Number.NaN, to: rec?.lastReadyAt ?? Number.NaN };
  });
}

const overlapping = (w: Array<{ from: number; to: number }>): number => {
  let n = 0;
  for (const a of w) for (const b of w) if (a !== b && a.from < b.to && b.from < a.to) n++;
  return n / 2;
};

describe('codex.startConcurrency (real codex)', () => {
  it('cap 1: the three app-servers start one at a time, and all are ready', async () => {
    const windows = await startThree(1);
    expect(windows.every((w) => w.to >= w.from)).toBe(true);
    expect(overlapping(windows)).toBe(0);
    const ready = service!.status().dispatchers.map((d) => d.status);
    expect(ready).toEqual(['ready', 'ready', 'ready']);
  });

  it('cap 3: they start side by side', async () => {
    const windows = await startThree(3);
    // All three took a slot before the first was ready.
    expect(overlapping(windows)).toBe(3);
  });
});
