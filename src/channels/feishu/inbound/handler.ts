/**
 * The `im.message.receive_v1` handler both connection modes register on the SDK's EventDispatcher:
 * verify, drop re-deliveries, normalise, hand to the service.
 *
 * SDK facts (1.74; test/integration/fake-feishu.test.ts):
 * - EventDispatcher never checks the verification token (and the long connection calls it with
 *   `needCheck: false`): the flattened `token` (schema 2.0 `header.token`) is compared here.
 * - The long connection acks a frame only after the handler settles (`{code: 200}`, or `{code: 500}`
 *   when it threw), and the webhook answers once it settled, so the handler does only the
 *   hand-over: the service's handler resolves once the message is persisted; attachments are
 *   downloaded and turns run later, never inside it (Feishu wants the webhook's 200 within about
 *   3 s and redelivers otherwise).
 *
 * The event's shape is checked first (./schema.ts `messageReceiveSchema`): a malformed event —
 * e.g. `mentions` that is not an array — is acknowledged (the webhook answers 200, the long
 * connection acks 200) and logged once at warn, because it stays malformed on every redelivery and
 * a 500 would only make Feishu deliver it again (it redelivers events not answered 200, with
 * growing intervals, open.feishu.cn "事件订阅概述": retries at 15 s, 5 min, 1 h, 6 h).
 *
 * A handler failure (normalising or handing over threw) forgets the event id, so Feishu's
 * re-delivery is handled again, and rethrows (the long connection then acks 500, the webhook
 * answers 500). Everything that is not a failure resolves.
 *
 * Events of one chat are handed over in arrival order (a chain per chat_id): the SDK runs frame
 * handlers concurrently, and a message must not be overtaken by the one sent after it while it is
 * being persisted.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../../clock.js';
import type { Logger } from '../../../log.js';
import type { InboundMessage } from '../../types.js';
import type { RecentIds } from './dedup.js';
import { describeIssues } from '../../schema-issues.js';
import { normaliseEvent, type FeishuMessageEvent } from './event.js';
import { messageReceiveSchema } from './schema.js';

export interface ReceiveHandlerOptions {
  channelId: string;
  appId: string;
  /** Compared with the event's token when set. */
  verificationToken?: string;
  botOpenId: string;
  seen: RecentIds;
  /** The sender's display name by open_id (../api/users.ts); absent or undefined: the open_id only. */
  names?: (openId: string) => Promise<string | undefined>;
  clock: Clock;
  logger: Logger;
  /** Hands a normalised message to the service (resolves after it was queued or refused). */
  deliver(message: InboundMessage): Promise<void>;
}

export type ReceiveOutcome = 'delivered' | 'skipped' | 'duplicate' | 'rejected' | 'malformed';

/** Thrown by `deliver` while the channel stops: the event stays unacknowledged, Feishu delivers it again later. */
export class ChannelStoppingError extends Error {
  constructor() {
    super('the channel is stopping');
  }
}

/** Constant-time string comparison. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `data` is the flattened event as the EventDispatcher hands it over: anything, until checked. */
export function createReceiveHandler(opts: ReceiveHandlerOptions): (data: unknown) => Promise<ReceiveOutcome> {
  const { logger } = opts;
  const chains = new Map<string, Promise<unknown>>();
  /** Runs `fn` after every earlier task of `chat` settled. */
  const inOrder = <T>(chat: string, fn: () => Promise<T>): Promise<T> => {
    const run = (chains.get(chat) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    chains.set(chat, tail);
    void tail.then(() => {
      if (chains.get(chat) === tail) chains.delete(chat);
    });
    return run;
  };
  return async (raw) => {
    const parsed = messageReceiveSchema.safeParse(raw);
    if (!parsed.success) {
      const r = (typeof raw === 'object' && raw !== null ? raw : {}) as { event_id?: unknown };
      logger.warn(
        { eventId: typeof r.event_id === 'string' ? r.event_id : undefined, event: 'im.message.receive_v1', issues: describeIssues(parsed.error) },
        'feishu event malformed; acknowledged and dropped',
      );
      return 'malformed';
    }
    // The schema checks the types of every field FeishuMessageEvent names.
    const data = parsed.data as FeishuMessageEvent;
    const where = { eventId: data.event_id, messageId: data.message?.message_id, conversation: data.message?.chat_id };
    if (opts.verificationToken !== undefined && !sameSecret(String(data.token ?? ''), opts.verificationToken)) {
      logger.warn(where, 'feishu event rejected: wrong verification token');
      return 'rejected';
    }
    if (data.app_id !== undefined && data.app_id !== opts.appId) {
      logger.warn({ ...where, appId: data.app_id }, 'feishu event rejected: it is for another app');
      return 'rejected';
    }
    const eventId = data.event_id;
    if (eventId && !opts.seen.add(eventId)) {
      logger.debug(where, 'feishu event re-delivered; ignored');
      return 'duplicate';
    }
    const now = opts.clock.now();
    try {
      return await inOrder(data.message?.chat_id ?? '', async (): Promise<ReceiveOutcome> => {
        const res = normaliseEvent(data, { channelId: opts.channelId, botOpenId: opts.botOpenId, now });
        if (res.status === 'skip') {
          logger.debug({ ...where, reason: res.reason, detail: res.detail }, 'feishu event skipped');
          return 'skipped';
        }
        logger.debug({ ...where, text: res.message.text }, 'feishu message received');
        const name = await opts.names?.(res.message.sender.id);
        await opts.deliver(name !== undefined ? { ...res.message, sender: { ...res.message.sender, name } } : res.message);
        return 'delivered';
      });
    } catch (err) {
      if (eventId) opts.seen.delete(eventId);
      if (err instanceof ChannelStoppingError) logger.info(where, 'feishu event not handed over: the channel is stopping (Feishu will deliver it again)');
      else logger.error({ ...where, err }, 'feishu event handling failed');
      throw err;
    }
  };
}
