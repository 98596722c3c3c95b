/**
 * CodexRuntime session threads (issue 12) against the real codex app-server and the scripted
 * model: several threads on one app-server child, concurrent turns, `turn/steer`,
 * `thread/unsubscribe` and resume, a killed child, fresh threads.
 *
 * Session records live in the real lowdb store, as dispatcher records under their own ids (their
 * thread fields are the ThreadRecord the runtime persists).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionThread, TurnHooks } from '../../src/codex/agent-runtime.js';
import type { CodexRuntime } from '../../src/codex/runtime.js';
import type { TurnEvent } from '../../src/codex/turn-runner.js';
import type { ModelRequest, ScriptStep } from '../../src/demo/scripted-model.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/types.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { waitFor } from '../support/fake-clock.js';
import { testRuntime } from '../support/runtime.js';

const STEER_TEXT = 'also mention the word PINEAPPLE';
const LATE_STEER = 'and what about MANGO';

/**
 * The scripted model: `gate: …` requests are held until two of them arrived (then both echo),
 * so two turns only finish when they run at once; `slow: …` turns first run `sleep 2`, then
 * answer with every user text from the `slow:` one on (steered input included); `twopart: …` streams
 * a first answer slowly, and once a request carries the late steer answers that; else echo.
 */
function sessionScript(): (req: ModelRequest) => Promise<ScriptStep> {
  let gated = 0;
  let openGate: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  return async (req) => {
    if (req.lastUserText.startsWith('gate:')) {
      if (++gated >= 2) openGate();
      const met = await Promise.race([gate.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
      return { kind: 'reply', text: met ? `echo: ${req.lastUserText}` : 'the other turn never came' };
    }
    if (req.userTexts.some((t) => t.startsWith('twopart:'))) {
      if (!req.allText.includes(LATE_STEER)) return { kind: 'reply', text: 'first answer: FORTY-TWO', chunks: 20, streamMs: 2000 };
      return { kind: 'reply', text: 'second answer: MANGO is ripe' };
    }
    const slow = req.userTexts.findIndex((t) => t.startsWith('slow:'));
    if (slow >= 0) {
      if (!req.hasFunctionOutput('sleep-1'))
        return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: 'sleep 2', login: false }, callId: 'sleep-1' };
      return { kind: 'reply', text: `final: ${req.userTexts.slice(slow).join(' | ')}` };
    }
    return { kind: 'reply', text: `echo: ${req.lastUserText}` };
  };
}

let env: CodexTestEnv;
let store: StateStore;
let rt: CodexRuntime;

/** A session whose thread record is the store's dispatcher record `rec-<key>`. */
function session(key: string, config?: Record<string, unknown>): SessionThread {
  const id = `rec-${key}`;
  return { key, config, record: { load: () => store.getDispatcher(id), patch: (p) => store.patchDispatcher(id, p) } };
}

const threadOf = (key: string): string | null | undefined => store.getDispatcher(`rec-${key}`)?.threadId;

beforeAll(async () => {
  env = await codexTestEnv(sessionScript());
  store = await openStateStore(env.stateDir);
  rt = testRuntime(env, store, { overrides: { backoff: { baseMs: 100, maxMs: 1000 } } });
  expect(await rt.start()).toEqual({ status: 'ready' });
});

afterAll(async () => {
  await rt?.stop();
  await store?.close();
  await env?.cleanup();
});

describe('CodexRuntime session threads (real codex)', () => {
  it('opens two session threads with their own persisted ids and runs their turns at once', async () => {
    const [a, b] = await Promise.all([rt.openThread(session('a')), rt.openThread(session('b'))]);
    expect(a).toMatchObject({ status: 'started', opened: true });
    expect(b).toMatchObject({ status: 'started', opened: true });
    expect(new Set([a.threadId, b.threadId, rt.threadId]).size).toBe(3);
    expect(threadOf('a')).toBe(a.threadId);
    expect(threadOf('b')).toBe(b.threadId);
    expect([...rt.openSessions()].sort()).toEqual(['a', 'b']);
    // Open already: no new thread; concurrent opens of one key share one request.
    expect(await rt.openThread(session('a'))).toEqual({ status: 'resumed', threadId: a.threadId, opened: false });
    const [c1, c2] = await Promise.all([rt.openThread(session('c')), rt.openThread(session('c'))]);
    expect(c1).toMatchObject({ status: 'started', opened: true });
    expect(c2).toEqual({ ...c1, opened: false });

    // The model holds each `gate:` request until the other one arrived: both settle only if they ran at once.
    // Each turn's hooks see only its own thread's events (one RpcClient carries both).
    const seen: Record<string, string[]> = { a: [], b: [] };
    const hooks = (key: string): TurnHooks => ({
      onEvent: (e) => {
        if (e.type === 'itemCompleted' && (e.item.type === 'agentMessage' || e.item.type === 'userMessage')) seen[key]?.push(JSON.stringify(e.item));
      },
    });
    const [outA, outB] = await Promise.all([rt.runTurn('gate: secret-A', 30_000, hooks('a'), 'a'), rt.runTurn('gate: secret-B', 30_000, hooks('b'), 'b')]);
    expect(seen.a?.join()).toContain('secret-A');
    expect(seen.a?.join()).not.toContain('secret-B');
    expect(seen.b?.join()).toContain('secret-B');
    expect(seen.b?.join()).not.toContain('secret-A');
    expect(outA).toMatchObject({ status: 'completed', text: 'echo: gate: secret-A' });
    expect(outB).toMatchObject({ status: 'completed', text: 'echo: gate: secret-B' });
    expect(store.getDispatcher('rec-a')?.threadHasHistory).toBe(true);
    expect(store.getDispatcher('rec-b')?.threadHasHistory).toBe(true);
    expect(store.getDispatcher('main')?.threadHasHistory).not.toBe(true);
    // The own thread is untouched and still runs its turns.
    expect(await rt.runTurn('own thread', 20_000)).toMatchObject({ status: 'completed', text: 'echo: own thread' });
  });

  it('refuses a second turn on a busy session thread and a turn on a session that is not open', async () => {
    expect(() => rt.runTurn('x', 20_000, {}, 'nope')).toThrow(/no open thread/);
    const first = rt.runTurn('one', 20_000, {}, 'a');
    expect(() => rt.runTurn('two', 20_000, {}, 'a')).toThrow(/already runs turn/);
    expect(await first).toMatchObject({ status: 'completed', text: 'echo: one' });
  });

  it('steers a running turn: the next model request of the turn carries the text, the answer reflects it', async () => {
    await rt.openThread(session('s'));
    expect(await rt.steerTurn('idle', 's')).toMatchObject({ status: 'notSteerable' });
    let commandStarted = false;
    const onEvent = (e: TurnEvent): void => {
      if (e.type === 'itemStarted' && e.item.type === 'commandExecution') commandStarted = true;
    };
    const turn = rt.runTurn('slow: count the files', 30_000, { onEvent }, 's');
    await waitFor(() => commandStarted, 20_000, 'the sleep command started');
    const steered = await rt.steerTurn(STEER_TEXT, 's');
    expect(steered).toMatchObject({ status: 'steered' });
    const outcome = await turn;
    expect(outcome).toMatchObject({ status: 'completed' });
    expect(steered.status === 'steered' && outcome.status === 'completed' && steered.turnId).toBe(outcome.turnId);
    expect(outcome.status === 'completed' && outcome.text).toContain('PINEAPPLE');
    const afterTool = env.model.requests.filter((r) => r.hasFunctionOutput('sleep-1'));
    expect(afterTool[0]?.allText).toContain(STEER_TEXT);
    // Settled: nothing to steer any more.
    expect(await rt.steerTurn('late', 's')).toMatchObject({ status: 'notSteerable' });
  });

  it('a steer while the first answer streams: codex drops that answer and samples again with both inputs; the final answer is posted', async () => {
    await rt.openThread(session('tp'));
    let streaming = false;
    const completed: string[] = [];
    const onEvent = (e: TurnEvent): void => {
      if (e.type === 'agentMessageDelta') streaming = true;
      if (e.type === 'itemCompleted' && e.item.type === 'agentMessage') completed.push(e.item.text);
    };
    const turn = rt.runTurn('twopart: what is the answer', 30_000, { onEvent }, 'tp');
    await waitFor(() => streaming, 20_000, 'the first answer streams');
    expect(await rt.steerTurn(LATE_STEER, 'tp')).toMatchObject({ status: 'steered' });
    const outcome = await turn;
    expect(outcome.status).toBe('completed');
    const text = outcome.status === 'completed' ? outcome.text : '';
    // Measured on codex 0.171: a steer preempts the answer being sampled — that message never
    // completes — and codex samples again with both inputs, so the final answer is the model's
    // answer to the whole turn (what Switchboard posts), not to the steered text alone.
    expect(completed).toEqual(['second answer: MANGO is ripe']);
    expect(text).toBe('second answer: MANGO is ripe');
    const resampled = env.model.requests.filter((r) => r.allText.includes(LATE_STEER));
    expect(resampled[0]?.userTexts.some((t) => t.startsWith('twopart:'))).toBe(true);
  });

  it('unloads a session thread and resumes it on the next open', async () => {
    const before = threadOf('a');
    await rt.unloadThread('a');
    expect(rt.openSessions()).not.toContain('a');
    expect(() => rt.runTurn('x', 20_000, {}, 'a')).toThrow(/no open thread/);
    await rt.unloadThread('a'); // not open: no-op
    const again = await rt.openThread(session('a'));
    expect(again).toEqual({ status: 'resumed', threadId: before, opened: true });
    expect(await rt.runTurn('after unload', 20_000, {}, 'a')).toMatchObject({ status: 'completed', text: 'echo: after unload' });
    // The resumed thread carries its history into the model request.
    expect(env.model.requests.at(-1)?.allText).toContain('gate: secret-A');
  });

  it('starts a fresh thread for a session and for the own thread, persisting the new ids', async () => {
    const old = threadOf('b');
    const busy = rt.runTurn('busy', 20_000, {}, 'b');
    await expect(rt.startFreshThread('b')).rejects.toThrow(/runs a turn/);
    await busy;
    const replacing = rt.startFreshThread('b');
    expect(() => rt.runTurn('meanwhile', 20_000, {}, 'b')).toThrow(/replacing/);
    const fresh = await replacing;
    expect(fresh).not.toBe(old);
    expect(store.getDispatcher('rec-b')).toMatchObject({ threadId: fresh, threadHasHistory: false });
    expect(await rt.runTurn('fresh start', 20_000, {}, 'b')).toMatchObject({ status: 'completed', text: 'echo: fresh start' });
    expect(env.model.requests.at(-1)?.allText).not.toContain('secret-B');

    const ownOld = rt.threadId;
    const ownFresh = await rt.startFreshThread();
    expect(ownFresh).not.toBe(ownOld);
    expect(rt.threadId).toBe(ownFresh);
    expect(store.getDispatcher('main')).toMatchObject({ threadId: ownFresh, threadHasHistory: false });
  });

  it('forgets open session threads when the app-server is killed; opening again resumes them', async () => {
    const pid = rt.pid;
    const before = threadOf('a');
    expect(rt.openSessions()).toContain('a');
    process.kill(pid!, 'SIGKILL');
    await waitFor(() => rt.status !== 'ready', 10_000, 'runtime lost');
    await rt.whenReady();
    expect(rt.pid).not.toBe(pid);
    expect(rt.openSessions()).toEqual([]);
    expect(await rt.openThread(session('a'))).toEqual({ status: 'resumed', threadId: before, opened: true });
    expect(await rt.runTurn('after kill', 20_000, {}, 'a')).toMatchObject({ status: 'completed', text: 'echo: after kill' });
  });
});
