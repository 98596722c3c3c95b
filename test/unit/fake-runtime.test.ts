/**
 * The in-memory FakeRuntime keeps session threads as CodexRuntime does (see
 * test/integration/runtime-sessions.test.ts for the real one): open/resume/replace with
 * persistence, one turn per thread, steering into the unsettled turn, unload, fresh threads,
 * open threads forgotten on restart.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeNotReadyError, type SessionThread, type ThreadRecord } from '../../src/codex/agent-runtime.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/types.js';
import { FakeRuntime } from '../support/fake-runtime.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

let store: StateStore;

beforeEach(async () => {
  store = await openStateStore(makeTempDir('sb-fake-runtime-'));
});

afterEach(async () => {
  await store.close();
  await cleanupTempDirs();
});

/** A session whose thread record is the real store's dispatcher record `rec-<key>`; `rec` reads it. */
async function session(key: string, initial?: Partial<ThreadRecord>): Promise<SessionThread & { readonly rec: ThreadRecord }> {
  const id = `rec-${key}`;
  await store.patchDispatcher(id, { threadId: null, threadHasHistory: false, ...initial });
  const load = (): ThreadRecord => {
    const r = store.getDispatcher(id);
    if (!r) throw new Error(`no record ${id}`);
    return r;
  };
  return {
    key,
    get rec() {
      return load();
    },
    record: { load, patch: (p) => store.patchDispatcher(id, p) },
  };
}

async function readyFake(): Promise<FakeRuntime> {
  const rt = new FakeRuntime();
  rt.autoAnswer = false;
  await rt.start();
  return rt;
}

describe('FakeRuntime session threads', () => {
  it('opens, runs one turn per thread, steers the unsettled turn and records history', async () => {
    const rt = await readyFake();
    const a = await session('a');
    const b = await session('b');
    const opened = await rt.openThread(a);
    expect(opened).toMatchObject({ status: 'started', opened: true });
    expect(a.rec.threadId).toBe(opened.threadId);
    expect(await rt.openThread(a)).toEqual({ status: 'resumed', threadId: opened.threadId, opened: false });
    expect(() => rt.runTurn('x', 1000, {}, 'b')).toThrow(RuntimeNotReadyError);
    await rt.openThread(b);
    const ta = rt.runTurn('on a', 1000, {}, 'a');
    const tb = rt.runTurn('on b', 1000, {}, 'b');
    const own = rt.runTurn('own', 1000);
    expect(() => rt.runTurn('again', 1000, {}, 'a')).toThrow(/already runs/);
    expect(await rt.steerTurn('more', 'a')).toEqual({ status: 'steered', turnId: rt.runningTurn('a')?.turnId });
    expect(rt.runningTurn('a')?.steered).toEqual(['more']);
    rt.runningTurn('a')?.settle();
    expect(await ta).toMatchObject({ status: 'completed', text: 'echo: on a' });
    expect(a.rec.threadHasHistory).toBe(true);
    expect(b.rec.threadHasHistory).toBe(false);
    expect(await rt.steerTurn('late', 'a')).toMatchObject({ status: 'notSteerable' });
    expect(await rt.unloadThread('b').catch((e: Error) => e.message)).toMatch(/runs a turn/);
    rt.restart();
    expect(await tb).toMatchObject({ status: 'disconnected' });
    expect(await own).toMatchObject({ status: 'disconnected' });
    expect(rt.openSessions()).toEqual([]);
    expect(await rt.openThread(a)).toEqual({ status: 'resumed', threadId: opened.threadId, opened: true });
  });

  it('replaces a lost thread with history, unloads, and starts fresh threads', async () => {
    const rt = await readyFake();
    const lost = await session('l', { threadId: 'gone', threadHasHistory: true });
    rt.failResume.add('gone');
    const res = await rt.openThread(lost);
    expect(res).toMatchObject({ status: 'replaced', lostThreadId: 'gone', opened: true });
    expect(lost.rec).toMatchObject({ threadId: res.threadId, lastLostThreadId: 'gone', pendingLostThreadWarning: true, threadHasHistory: false });
    await rt.unloadThread('l');
    expect(rt.unloaded).toEqual([{ session: 'l', threadId: res.threadId }]);
    expect(rt.openSessions()).toEqual([]);
    await rt.openThread(lost);
    const fresh = await rt.startFreshThread('l');
    expect(fresh).not.toBe(res.threadId);
    expect(lost.rec.threadId).toBe(fresh);
    const ownFresh = await rt.startFreshThread();
    expect(rt.threadId).toBe(ownFresh);
  });
});
