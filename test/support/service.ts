/**
 * A real Switchboard service (real codex, scripted model, real web channel on
 * a free port) plus small HTTP helpers for tests.
 */
import { parseConfig } from '../../src/config/load.js';
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
}

export async function startTestService(env: CodexTestEnv, opts: TestServiceOptions = {}): Promise<TestService> {
  const config = parseConfig(
    {
      stateDir: env.stateDir,
      codex: {
        bin: opts.bin ?? env.codexBin,
        home: env.codexHome,
        sandbox: 'read-only',
        restartBackoff: { baseMs: 200, maxMs: 1000 },
        overrides: opts.overrides ?? {},
      },
      channels: [{ id: 'local', type: 'web', listen: `127.0.0.1:${opts.port ?? 0}` }],
      dispatchers: [
        {
          id: 'main',
          cwd: env.workDir,
          bindings: [{ channel: 'local', conversation: opts.conversation ?? '*' }],
          ...(opts.queueLimit ? { queueLimit: opts.queueLimit } : {}),
          ...(opts.turnTimeoutMs ? { turnTimeoutMs: opts.turnTimeoutMs } : {}),
        },
      ],
    },
    { file: '<test>' },
  );
  // SB_TEST_LOG=debug shows the service log while debugging a test.
  const level = process.env.SB_TEST_LOG as LogLevel | undefined;
  const service = await startService(config, { logger: level ? createLogger(level) : silentLogger() });
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
    async waitForReplies(conversation, n, timeoutMs = 30_000) {
      let replies: WebMessage[] = [];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        replies = (await messages(conversation)).filter((m) => m.role !== 'user');
        if (replies.length >= n) return replies;
        if (Date.now() > deadline) throw new Error(`expected ${n} replies in ${conversation}, got ${replies.length}: ${JSON.stringify(replies)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop: () => service.stop(),
  };
}

/** The message text without Switchboard's `[sender via channel/conversation]` header line. */
export function stripHeader(text: string): string {
  return text.replace(/^\[[^\]\n]+ via [^\]\n]+\]\n/, '');
}
