/**
 * The two measured paths of the turn-overhead benchmark:
 *
 * - direct: one `codex app-server` driven over RpcClient; a turn is timed from
 *   sending `turn/start` to the `turn/completed` notification.
 * - switchboard: the full demo service (web channel → dispatcher → runtime);
 *   a turn is timed from issuing the POST to the SSE `message` event of the
 *   assistant reply (`replyTo` = the posted message id).
 *
 * Both use their own scripted model answering every request with the same short
 * fixed reply and no delay, and both send the same turn input text.
 */
import http from 'node:http';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { writeCodexHome } from '../src/demo/codex-home.js';
import { startDemo, type Demo } from '../src/demo/run-demo.js';
import { startScriptedModel, type ScriptFn, type ScriptedModel } from '../src/demo/scripted-model.js';
import type { Logger } from '../src/log.js';
import type { StateStore } from '../src/state/types.js';
import { openSse, postJson, type SseStream } from './http-client.js';
import { startDirectAppServer, type DirectAppServer } from './direct-app-server.js';

/** The scripted model's answer to every bench turn. */
export const BENCH_REPLY = 'ok: scripted bench reply.';
/** Conversation used by the switchboard path. */
export const BENCH_CONVERSATION = 'bench';
/** Give up on one turn after this long, ms. */
const TURN_TIMEOUT_MS = 15_000;

/** One timed turn: `total` ms, plus named marks in ms since the clock started. */
export interface TurnSample {
  total: number;
  marks: Record<string, number>;
}

export interface BenchPath {
  readonly name: string;
  runTurn(i: number): Promise<TurnSample>;
  /** Waits until background work of the last turn is done (not timed). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Records when the scripted model answered, so turns can be split at the model call. */
class ModelHits {
  private readonly times: number[] = [];
  readonly script: ScriptFn = () => {
    this.times.push(performance.now());
    return { kind: 'reply', text: BENCH_REPLY };
  };
  /** First hit at or after `t0`, relative to it; undefined if none. */
  firstSince(t0: number): number | undefined {
    for (let i = this.times.length - 1; i >= 0; i--) {
      const t = this.times[i]!;
      if (t < t0) break;
      if (i === 0 || this.times[i - 1]! < t0) return t - t0;
    }
    return undefined;
  }
  get count(): number {
    return this.times.length;
  }
}

/** The text Switchboard's dispatcher sends as turn input for a web message (see Dispatcher.turnInput). */
export function turnInputText(userText: string): string {
  return `[web-user via local/${BENCH_CONVERSATION}]\n${userText}`;
}

export function userText(i: number): string {
  return `bench message ${i}`;
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${TURN_TIMEOUT_MS} ms`)), TURN_TIMEOUT_MS);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// (a) direct

export async function startDirectPath(dir: string, logger: Logger): Promise<BenchPath> {
  const hits = new ModelHits();
  const model: ScriptedModel = await startScriptedModel({ script: hits.script, logger });
  let server: DirectAppServer | undefined;
  const close = async (): Promise<void> => {
    await server?.close();
    await model.close();
  };
  try {
    const codexHome = path.join(dir, 'codex-home');
    await writeCodexHome(codexHome, model.url);
    server = await startDirectAppServer(codexHome, path.join(dir, 'workspace'), path.join(dir, 'codex.log'), logger);
    const { threadId } = server;
    const client = server.rpc;

    let waiter: { resolve(t: number): void; reject(e: Error): void } | null = null;
    client.onNotification((notification) => {
      if (notification.method !== 'turn/completed') return;
      const at = performance.now();
      const n = notification.params;
      if (n.threadId !== threadId || !waiter) return;
      const w = waiter;
      waiter = null;
      if (n.turn.status === 'completed') w.resolve(at);
      else w.reject(new Error(`direct turn ended ${n.turn.status}: ${n.turn.error?.message ?? ''}`));
    });

    return {
      name: 'direct',
      async runTurn(i) {
        const completed = new Promise<number>((resolve, reject) => (waiter = { resolve, reject }));
        const t0 = performance.now();
        const started = client
          .request('turn/start', { threadId, input: [{ type: 'text', text: turnInputText(userText(i)), text_elements: [] }] })
          .then(() => performance.now());
        const [ack, done] = await withTimeout(Promise.all([started, completed]), `direct turn ${i}`);
        const marks: Record<string, number> = { turnStartAck: ack - t0 };
        const hit = hits.firstSince(t0);
        if (hit !== undefined) marks.modelHit = hit;
        return { total: done - t0, marks };
      },
      async settle() {
        // Nothing client-side runs after turn/completed.
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// (b) through Switchboard

/** Per-call timing of StateStore writes (only with --profile). */
export interface StoreProfile {
  /** method → durations (ms, call → resolved) of calls made while recording. */
  calls: Map<string, number[]>;
  recording: boolean;
  /** Size of state.json at the end, bytes. */
  stateBytes?: number;
}

const PROFILED_STORE_METHODS = ['enqueue', 'updateQueued', 'removeQueued', 'appendWebMessage', 'patchDispatcher'] as const;

/** Wraps the store's write methods on the instance (bench only; src is untouched). */
function instrumentStore(store: StateStore): StoreProfile {
  const profile: StoreProfile = { calls: new Map(), recording: false };
  const target = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of PROFILED_STORE_METHODS) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    const bound = original.bind(store);
    target[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      const p = bound(...args);
      if (profile.recording) {
        void p.then(
          () => {
            const list = profile.calls.get(name) ?? [];
            list.push(performance.now() - t0);
            profile.calls.set(name, list);
          },
          () => undefined,
        );
      }
      return p;
    };
  }
  return profile;
}

interface PendingReply {
  marks: Record<string, number>;
  resolve(at: number): void;
}

export interface SwitchboardPath extends BenchPath {
  readonly profile: StoreProfile | null;
  readonly stateFile: string;
}

export async function startSwitchboardPath(stateDir: string, logger: Logger, opts: { profile: boolean }): Promise<SwitchboardPath> {
  const demo: Demo = await startDemo({ port: 0, host: '127.0.0.1', stateDir, logger });
  const hits = new ModelHits();
  demo.model.setScript(hits.script);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let sse: SseStream | undefined;
  const close = async (): Promise<void> => {
    sse?.close();
    agent.destroy();
    await demo.stop();
  };
  try {
    const dispatcher = demo.service.dispatchers.get('main');
    if (!dispatcher) throw new Error('demo has no dispatcher "main"');
    const profile = opts.profile ? instrumentStore(demo.service.store) : null;
    const pending = new Map<string, PendingReply>();
    let t0 = 0;
    let streamError: Error | null = null;

    sse = await openSse(
      `${demo.url}/api/events?conversation=${BENCH_CONVERSATION}`,
      (e) => {
        if (e.event === 'message') {
          const m = JSON.parse(e.data) as { id: string; role: string; replyTo?: string };
          if (m.role === 'user') {
            const p = pending.get(m.id);
            if (p) p.marks.userSse = e.at - t0;
          } else if (m.role === 'assistant' && m.replyTo !== undefined) {
            pending.get(m.replyTo)?.resolve(e.at);
          }
        } else if (e.event === 'progress') {
          const p = JSON.parse(e.data) as { messageId: string; state: string };
          const r = pending.get(p.messageId);
          if (r) r.marks[p.state] = e.at - t0;
        }
      },
      (why) => (streamError = new Error(why)),
    );

    const postUrl = `${demo.url}/api/conversations/${BENCH_CONVERSATION}/messages`;
    return {
      name: 'switchboard',
      profile,
      stateFile: path.join(stateDir, 'state.json'),
      async runTurn(i) {
        if (streamError) throw streamError;
        const id = `bench-${i}-${randomUUID()}`;
        const marks: Record<string, number> = {};
        const replied = new Promise<number>((resolve) => pending.set(id, { marks, resolve }));
        t0 = performance.now();
        const start = t0;
        const res = await postJson(agent, postUrl, { text: userText(i), id });
        marks.postAck = performance.now() - start;
        const messageId = (res.body as { messageId?: unknown } | null)?.messageId;
        if (res.status !== 202 || messageId !== id) {
          pending.delete(id);
          throw new Error(`POST answered ${res.status} ${JSON.stringify(res.body)}`);
        }
        const done = await withTimeout(replied, `switchboard turn ${i}`);
        pending.delete(id);
        const hit = hits.firstSince(start);
        if (hit !== undefined) marks.modelHit = hit;
        return { total: done - start, marks };
      },
      async settle() {
        // The dispatcher still marks progress and removes the queue entry after the reply.
        await dispatcher.whenIdle();
        if (profile) profile.stateBytes = (await stat(path.join(stateDir, 'state.json'))).size;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
