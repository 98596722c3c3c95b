/**
 * A real Switchboard service (real codex, scripted model, real web channel on
 * a free port) plus small HTTP helpers for tests.
 */
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger, silentLogger, type LogLevel } from '../../src/log.js';
import { startService, type Service } from '../../src/service.js';
import type { WebMessage } from '../../src/state/types.js';
import type { CodexTestEnv } from './codex-env.js';

export interface TestService {
  service: Service;
  url: string;
  /** POSTs a message; returns the HTTP status and JSON body. */
  post(conversation: string, text: string, id?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  messages(conversation: string): Promise<WebMessage[]>;
  /** Waits until `n` assistant/system messages exist in the conversation and returns them. */
  waitForReplies(conversation: string, n: number, timeoutMs?: number): Promise<WebMessage[]>;
  stop(): Promise<void>;
}

export interface TestServiceOptions {
  queueLimit?: number;
  turnTimeoutMs?: number;
  /** Bound conversation (default: every conversation). */
  conversation?: string;
  /** Extra `-c key=value` codex overrides. */
  overrides?: Record<string, string>;
  /** codex executable (default: the bundled binary). */
  bin?: string;
  /** Web chat port (default: any free port). */
  port?: number;
  /** Session scope of the binding (default: the dispatcher's own thread). */
  session?: TestBinding['session'];
  /** Extra top-level config sections (e.g. `teammates`). */
  extra?: Record<string, unknown>;
}

/** The `codex` config block of test services: the env's binary, CODEX_HOME and fast restarts. */
export function testCodexConfig(env: CodexTestEnv, opts: { bin?: string; overrides?: Record<string, string> } = {}): Record<string, unknown> {
  return {
    bin: opts.bin ?? env.codexBin,
    home: env.codexHome,
    sandbox: 'read-only',
    restartBackoff: { baseMs: 200, maxMs: 1000 },
    overrides: opts.overrides ?? {},
  };
}

/** Dispatcher `main` working in the env's work dir, bound to `channel` (every conversation by default). */
/** A binding of the test dispatcher (config keys; channel and conversation `*` by default). */
export interface TestBinding {
  conversation?: string;
  requireMention?: boolean;
  session?: 'dispatcher' | 'conversation' | 'thread';
  busy?: 'queue' | 'steer' | 'interrupt';
}

export function mainDispatcher(
  env: CodexTestEnv,
  channel: string,
  opts: { bindings?: TestBinding[]; queueLimit?: number; turnTimeoutMs?: number; dispatcher?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    id: 'main',
    cwd: env.workDir,
    bindings: (opts.bindings ?? [{}]).map((b) => ({ channel, conversation: '*', ...b })),
    ...(opts.queueLimit ? { queueLimit: opts.queueLimit } : {}),
    ...(opts.turnTimeoutMs ? { turnTimeoutMs: opts.turnTimeoutMs } : {}),
    ...opts.dispatcher,
  };
}

/** Starts a service; SB_TEST_LOG=debug (or another level) shows its log while debugging a test. */
export function startWithTestLog(config: Config): Promise<Service> {
  const level = process.env.SB_TEST_LOG as LogLevel | undefined;
  return startService(config, { logger: level ? createLogger(level) : silentLogger() });
}

/**
 * Polls `get` every 25 ms until it returns at least `n` items and returns them; after
 * `timeoutMs` throws `miss(lastItems)`.
 */
export async function waitForCount<T>(get: () => T[] | Promise<T[]>, n: number, timeoutMs: number, miss: (got: T[]) => string): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = await get();
    if (items.length >= n) return items;
    if (Date.now() > deadline) throw new Error(miss(items));
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startTestService(env: CodexTestEnv, opts: TestServiceOptions = {}): Promise<TestService> {
  const config = parseConfig(
    {
      ...opts.extra,
      stateDir: env.stateDir,
      codex: testCodexConfig(env, opts),
      channels: [{ id: 'local', type: 'web', listen: `127.0.0.1:${opts.port ?? 0}` }],
      dispatchers: [
        mainDispatcher(env, 'local', {
          ...opts,
          bindings: [{ ...(opts.conversation ? { conversation: opts.conversation } : {}), ...(opts.session ? { session: opts.session } : {}) }],
        }),
      ],
    },
    { file: '<test>' },
  );
  const service = await startWithTestLog(config);
  const url = (service.channels.get('local') as unknown as { url: string }).url;
  const messages = async (conversation: string): Promise<WebMessage[]> => {
    const res = await fetch(`${url}/api/conversations/${conversation}/messages`);
    return ((await res.json()) as { messages: WebMessage[] }).messages;
  };
  return {
    service,
    url,
    async post(conversation, text, id) {
      const res = await fetch(`${url}/api/conversations/${conversation}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(id ? { text, id } : { text }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    messages,
    waitForReplies(conversation, n, timeoutMs = 30_000) {
      return waitForCount(
        async () => (await messages(conversation)).filter((m) => m.role !== 'user'),
        n,
        timeoutMs,
        (got) => `expected ${n} replies in ${conversation}, got ${got.length}: ${JSON.stringify(got)}`,
      );
    },
    stop: () => service.stop(),
  };
}

/** The message text without Switchboard's `[sender via channel/conversation]` header line. */
export function stripHeader(text: string): string {
  return text.replace(/^\[[^\]\n]+ via [^\]\n]+\]\n/, '');
}
