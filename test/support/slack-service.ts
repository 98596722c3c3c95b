/**
 * A real Switchboard service (real codex, scripted model) whose only channel is Slack, talking to
 * the fake Slack platform — in HTTP (Events API) or Socket Mode — plus helpers to deliver events
 * the way Slack would and to wait for the bot's posts.
 *
 * Secrets go through `env:NAME` like an operator's config would.
 */
import { parseConfig } from '../../src/config/load.js';
import type { SlackChannel } from '../../src/channels/slack/index.js';
import type { Service } from '../../src/service.js';
import type { CodexTestEnv } from './codex-env.js';
import type { FakeSlack, RecordedCall, SlackEvent } from './fake-slack/index.js';
import { mainDispatcher, startWithTestLog, testCodexConfig, waitForCount, type TestBinding } from './service.js';

export const SLACK_BOT_TOKEN = 'xoxb-e2e-bot-token';
export const SLACK_APP_TOKEN = 'xapp-1-e2e-app-token';
export const SLACK_SIGNING_SECRET = 'e2e-signing-secret';

export interface SlackTestServiceOptions {
  mode: 'http' | 'socket';
  /** Channel access lists (users, conversations, admins). */
  access?: { users?: string[]; conversations?: string[]; admins?: string[] };
  /** Bindings of dispatcher `main` (default: every conversation, mention required). */
  bindings?: TestBinding[];
  /** Extra config of dispatcher `main` (e.g. maxConcurrentTurns, sessions). */
  dispatcher?: Record<string, unknown>;
  turnTimeoutMs?: number;
  /** Extra `codex` config (e.g. approvalPolicy, sandbox), over the test defaults. */
  codex?: Record<string, unknown>;
  /** The `approvals` config (e.g. timeoutMs). */
  approvals?: Record<string, unknown>;
}

export interface SlackTestService {
  service: Service;
  channel: SlackChannel;
  /** Delivers `event` like Slack: a signed POST (HTTP) or an envelope (Socket Mode); resolves once acked. */
  deliver(event: SlackEvent, opts?: { retryNum?: number; eventId?: string }): Promise<void>;
  /** The bot's chat.postMessage calls in the thread `threadTs` of `channel`, oldest first. */
  postsIn(channel: string, threadTs: string): RecordedCall[];
  /** Waits until the thread has `n` posts and returns them. */
  waitForPosts(channel: string, threadTs: string, n: number, timeoutMs?: number): Promise<RecordedCall[]>;
  stop(): Promise<void>;
}

export async function startSlackTestService(env: CodexTestEnv, fake: FakeSlack, opts: SlackTestServiceOptions): Promise<SlackTestService> {
  const secrets =
    opts.mode === 'socket' ? { appToken: 'env:E2E_SLACK_APP_TOKEN' } : { mode: 'http', signingSecret: 'env:E2E_SLACK_SIGNING_SECRET', listen: '127.0.0.1:0' };
  const config = parseConfig(
    {
      stateDir: env.stateDir,
      codex: { ...testCodexConfig(env), ...opts.codex },
      ...(opts.approvals ? { approvals: opts.approvals } : {}),
      channels: [
        {
          id: 'slack',
          type: 'slack',
          botToken: 'env:E2E_SLACK_BOT_TOKEN',
          ...secrets,
          apiUrl: fake.apiUrl,
          ...(opts.access ? { access: opts.access } : {}),
        },
      ],
      dispatchers: [mainDispatcher(env, 'slack', opts)],
    },
    {
      file: '<slack-e2e>',
      env: { E2E_SLACK_BOT_TOKEN: SLACK_BOT_TOKEN, E2E_SLACK_APP_TOKEN: SLACK_APP_TOKEN, E2E_SLACK_SIGNING_SECRET: SLACK_SIGNING_SECRET },
    },
  );
  const service = await startWithTestLog(config);
  const channel = service.channels.get('slack') as SlackChannel;
  /**
   * The messages a user sees in the thread, in order: each `chat.postMessage`, and each live answer
   * (a `chat.startStream`, or the live placeholder post) once settled — then as its last `chat.update`
   * (body with the thread's `thread_ts`), since finish() replaces the streamed text with the answer.
   */
  const postsIn = (conv: string, threadTs: string): RecordedCall[] => {
    const inThread = (c: RecordedCall): boolean => c.body.channel === conv && c.body.thread_ts === threadTs && c.response.ok === true;
    const updates = fake.callsTo('chat.update').filter((c) => c.body.channel === conv && c.response.ok === true);
    const lastUpdate = (ts: unknown): RecordedCall | undefined => updates.filter((u) => u.body.ts === ts).at(-1);
    const seen: RecordedCall[] = [];
    for (const c of [...fake.callsTo('chat.postMessage'), ...fake.callsTo('chat.startStream')].sort((a, b) => a.at - b.at)) {
      if (!inThread(c)) continue;
      const update = lastUpdate(c.response.ts);
      if (c.method === 'chat.startStream') {
        if (update) seen.push({ ...update, body: { ...update.body, thread_ts: threadTs } });
      } else seen.push(update ? { ...update, body: { ...update.body, thread_ts: threadTs } } : c);
    }
    return seen;
  };

  return {
    service,
    channel,
    async deliver(event, o = {}) {
      if (opts.mode === 'socket') {
        const res = await fake.sendEvent(event, {
          ...(o.retryNum !== undefined ? { retryNum: o.retryNum } : {}),
          ...(o.eventId ? { eventId: o.eventId } : {}),
        });
        if (!res.acked) throw new Error('the Socket Mode envelope was not acked');
        return;
      }
      const url = channel.eventsUrl;
      if (!url) throw new Error('the Slack channel has no events URL (not started in HTTP mode?)');
      const res = await fake.postEvent(url, SLACK_SIGNING_SECRET, fake.eventCallback(event, o.eventId ? { eventId: o.eventId } : {}), {
        ...(o.retryNum !== undefined ? { retryNum: o.retryNum } : {}),
      });
      if (res.status !== 200) throw new Error(`events URL answered ${res.status}: ${res.body}`);
    },
    postsIn,
    waitForPosts(conv, threadTs, n, timeoutMs = 30_000) {
      return waitForCount(
        () => postsIn(conv, threadTs),
        n,
        timeoutMs,
        (got) => {
          const all = fake.callsTo('chat.postMessage').map((c) => `${String(c.body.channel)}/${String(c.body.thread_ts)}: ${String(c.body.text).slice(0, 80)}`);
          return `expected ${n} posts in ${conv}/${threadTs}, got ${got.length}; all posts: ${JSON.stringify(all)}`;
        },
      );
    },
    stop: () => service.stop(),
  };
}
