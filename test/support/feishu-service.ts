/**
 * A real Switchboard service (real codex, scripted model) whose only channel is Feishu, talking to
 * the fake Feishu platform over the long connection (default) or the webhook, plus helpers to
 * deliver events the way Feishu would and to wait for the bot's replies.
 *
 * Secrets go through `env:NAME` like an operator's config would.
 */
import type { FeishuChannel } from '../../src/channels/feishu/index.js';
import { parseConfig } from '../../src/config/load.js';
import type { Service } from '../../src/service.js';
import type { CodexTestEnv } from './codex-env.js';
import { elementOf, isStreaming, type CardActionInput, type FakeFeishu, type FeishuEvent, type StoredMessage } from './fake-feishu/index.js';
import { waitFor } from './fake-clock.js';
import { ANSWER_ELEMENT, STOP_ELEMENT } from '../../src/channels/feishu/outbound/card-stream.js';
import { mainDispatcher, startWithTestLog, testCodexConfig, waitForCount } from './service.js';

export const FEISHU_ENCRYPT_KEY = 'e2e-encrypt-key';

export interface FeishuTestServiceOptions {
  mode?: 'websocket' | 'webhook';
  /** Channel access lists (open_ids, chat_ids, admin open_ids). */
  access?: { users?: string[]; conversations?: string[]; admins?: string[] };
  /** Bindings of dispatcher `main` (default: every conversation, mention required). */
  bindings?: Array<{ conversation?: string; requireMention?: boolean }>;
  turnTimeoutMs?: number;
  /** Extra `codex` config (e.g. approvalPolicy, sandbox), over the test defaults. */
  codex?: Record<string, unknown>;
  /** The `approvals` config (e.g. timeoutMs). */
  approvals?: Record<string, unknown>;
  /** The channel's `files` config (downloads of images/files). */
  files?: Record<string, unknown>;
}

/** What a card button press was answered with: the presser's toast, if any. */
export interface CardPressAnswer {
  toast?: { type: string; content: string };
}

export interface FeishuTestService {
  service: Service;
  channel: FeishuChannel;
  /** Delivers `event` like Feishu: over the long connection (resolves once acked 200) or as an encrypted, signed webhook POST. */
  deliver(event: FeishuEvent): Promise<void>;
  /**
   * Presses a card button like Feishu: a `card.action.trigger` callback over the long connection or
   * POSTed (encrypted, signed) to the events URL; resolves with the callback's answer. Throws when
   * the callback was not acked / answered with 200.
   */
  press(input: CardActionInput): Promise<CardPressAnswer>;
  /** The bot's replies to message `messageId`, oldest first. */
  repliesTo(messageId: string): StoredMessage[];
  /** Waits until `messageId` has `n` replies and returns them. */
  waitForReplies(messageId: string, n: number, timeoutMs?: number): Promise<StoredMessage[]>;
  /**
   * Waits until `messageId` has `n` replies and every live card among them settled (streaming off,
   * no Stop button); returns each reply with the Markdown it shows: a post's `md` text, a live
   * card's answer element.
   */
  waitForAnswers(messageId: string, n: number, timeoutMs?: number): Promise<Array<{ message: StoredMessage; markdown: string }>>;
  stop(): Promise<void>;
}

/** The Markdown of a reply the adapter sent (a post with one `md` element). */
export function replyMarkdown(m: StoredMessage): string {
  return JSON.parse(m.content).zh_cn.content[0][0].text as string;
}

/**
 * The Markdown a reply shows once settled: a post's `md` text, a live card's answer element;
 * undefined while the card still streams or shows Stop, and for a card without an answer element
 * (e.g. an approval prompt).
 */
export function shownAnswer(fake: FakeFeishu, m: StoredMessage): string | undefined {
  if (m.msg_type === 'post') return replyMarkdown(m);
  const content = JSON.parse(fake.message(m.message_id)?.content ?? m.content) as {
    type?: string;
    data?: { card_id?: string };
    body?: { elements?: Array<Record<string, unknown>> };
  };
  if (content.type === 'card') {
    const card = fake.card(content.data?.card_id ?? '');
    if (!card || isStreaming(card) || elementOf(card, STOP_ELEMENT)) return undefined;
    return elementOf(card, ANSWER_ELEMENT)?.content as string | undefined;
  }
  const elements = content.body?.elements ?? [];
  if (elements.some((e) => e.element_id === STOP_ELEMENT)) return undefined;
  return elements.find((e) => e.element_id === ANSWER_ELEMENT)?.content as string | undefined;
}

export async function startFeishuTestService(env: CodexTestEnv, fake: FakeFeishu, opts: FeishuTestServiceOptions = {}): Promise<FeishuTestService> {
  const mode = opts.mode ?? 'websocket';
  const config = parseConfig(
    {
      stateDir: env.stateDir,
      codex: { ...testCodexConfig(env), ...opts.codex },
      ...(opts.approvals ? { approvals: opts.approvals } : {}),
      channels: [
        {
          id: 'feishu',
          type: 'feishu',
          mode,
          domain: fake.url,
          appId: 'env:E2E_FEISHU_APP_ID',
          appSecret: 'env:E2E_FEISHU_APP_SECRET',
          verificationToken: 'env:E2E_FEISHU_VERIFICATION_TOKEN',
          ...(mode === 'webhook' ? { encryptKey: 'env:E2E_FEISHU_ENCRYPT_KEY', listen: '127.0.0.1:0' } : {}),
          ...(opts.access ? { access: opts.access } : {}),
          ...(opts.files ? { files: opts.files } : {}),
        },
      ],
      dispatchers: [mainDispatcher(env, 'feishu', opts)],
    },
    {
      file: '<feishu-e2e>',
      env: {
        E2E_FEISHU_APP_ID: fake.appId,
        E2E_FEISHU_APP_SECRET: fake.appSecret,
        E2E_FEISHU_VERIFICATION_TOKEN: fake.verificationToken,
        E2E_FEISHU_ENCRYPT_KEY: FEISHU_ENCRYPT_KEY,
      },
    },
  );
  const service = await startWithTestLog(config);
  const channel = service.channels.get('feishu') as FeishuChannel;
  const repliesTo = (messageId: string): StoredMessage[] => fake.sentMessages().filter((m) => m.parent_id === messageId && m.via === 'reply');

  return {
    service,
    channel,
    async deliver(event) {
      if (mode === 'websocket') {
        const res = await fake.sendEvent(event);
        if (!res.acked || res.code !== 200) throw new Error(`the long-connection event was not acked with 200: ${JSON.stringify(res)}`);
        return;
      }
      const url = channel.eventsUrl;
      if (!url) throw new Error('the Feishu channel has no events URL (not started in webhook mode?)');
      const res = await fake.postWebhook(url, { payload: event, encryptKey: FEISHU_ENCRYPT_KEY });
      if (res.status !== 200) throw new Error(`events URL answered ${res.status}: ${res.body}`);
    },
    async press(input) {
      const event = fake.cardAction(input);
      if (mode === 'websocket') {
        const res = await fake.sendEvent(event);
        if (!res.acked || res.code !== 200) throw new Error(`the card action was not acked with 200: ${JSON.stringify(res)}`);
        return (res.handlerResult ?? {}) as CardPressAnswer;
      }
      const url = channel.eventsUrl;
      if (!url) throw new Error('the Feishu channel has no events URL (not started in webhook mode?)');
      const res = await fake.postWebhook(url, { payload: event, encryptKey: FEISHU_ENCRYPT_KEY });
      if (res.status !== 200) throw new Error(`events URL answered the card action with ${res.status}: ${res.body}`);
      return (res.json ?? {}) as CardPressAnswer;
    },
    repliesTo,
    waitForReplies(messageId, n, timeoutMs = 30_000) {
      return waitForCount(
        () => repliesTo(messageId),
        n,
        timeoutMs,
        (got) => {
          const all = fake.sentMessages().map((m) => `${String(m.parent_id)}: ${m.content.slice(0, 100)}`);
          return `expected ${n} replies to ${messageId}, got ${got.length}; all sent: ${JSON.stringify(all)}`;
        },
      );
    },
    async waitForAnswers(messageId, n, timeoutMs = 30_000) {
      const shown = (m: StoredMessage): string | undefined => shownAnswer(fake, m);
      await waitFor(
        () => {
          const got = repliesTo(messageId);
          return got.length >= n && got.every((m) => shown(m) !== undefined);
        },
        timeoutMs,
        `${n} settled replies to ${messageId}`,
      );
      return repliesTo(messageId).map((message) => ({ message, markdown: shown(message)! }));
    },
    stop: () => service.stop(),
  };
}
