/**
 * `card.action.trigger`: a press of a button on one of our cards (the live card's Stop,
 * ../outbound/card-stream.ts) → the service's {@link ActionHandler} → the toast the presser sees.
 *
 * Feishu facts (open.feishu.cn "卡片回传交互" card-callback-communication, "处理卡片回调"): the
 * callback is a schema 2.0 body `{schema, header: {event_id, token, event_type:
 * "card.action.trigger", app_id, tenant_key, …}, event: {operator: {open_id, user_id?, union_id?},
 * token (the card's update token), action: {tag, value, …}, host, context: {open_message_id,
 * open_chat_id}}}`, delivered over the long connection like events (SDK 1.74: a frame of type
 * `event`, dispatched by EventDispatcher, the handler's result sent back base64-encoded in the
 * response frame) or POSTed to the callback Request URL (signed and encrypted like events). The app
 * must answer within 3 seconds; the answer `{toast: {type: "info" | "success" | "warning" | "error",
 * content}}` shows a toast to the presser. A streaming card cannot be replaced by the answer
 * (`card`), so only the toast is used.
 *
 * The SDK's EventDispatcher flattens header and event into one object, and the event's `token`
 * (the card update token) overwrites the header's verification token: the webhook checks the
 * verification token on the raw body before dispatching (./webhook.ts); the long connection is
 * authenticated by the app's credentials. Here: the app id is checked, and only presses whose
 * value carries our action id key are handled (anything else answers `{}`: no toast).
 */
import type { Clock } from '../../../clock.js';
import type { Logger } from '../../../log.js';
import type { ActionHandler, ActionResult } from '../../live.js';
import { describeIssues } from '../../schema-issues.js';
import { ACTION_VALUE_KEY } from '../outbound/card-stream.js';
import { cardActionSchema } from './schema.js';

/** How long the service's handler may take before the callback is answered anyway, ms (Feishu waits 3 s). */
export const CARD_ACTION_ANSWER_MS = 2_500;

/** The flattened `card.action.trigger` object the SDK's EventDispatcher hands to handlers. */
export interface FeishuCardActionEvent {
  app_id?: string;
  event_id?: string;
  operator?: { open_id?: string; user_id?: string; union_id?: string };
  action?: { tag?: string; value?: unknown };
  context?: { open_message_id?: string; open_chat_id?: string };
}

/** The callback's answer: a toast, or nothing. */
export interface CardActionAnswer {
  toast?: { type: 'info' | 'warning' | 'error'; content: string };
}

export interface CardActionOptions {
  channelId: string;
  appId: string;
  /** The service's handler, while the channel is started. */
  handler: () => ActionHandler | undefined;
  /** The presser's display name by open_id (../api/users.ts); absent or undefined: the open_id only. */
  names?: (openId: string) => Promise<string | undefined>;
  clock: Clock;
  logger: Logger;
  /** Default {@link CARD_ACTION_ANSWER_MS}. */
  answerMs?: number;
}

const TOAST_TYPE: Record<ActionResult['status'], 'info' | 'warning'> = { done: 'info', refused: 'warning', stale: 'warning' };

/**
 * `data` is the flattened callback as the EventDispatcher hands it over; one of the wrong shape
 * (./schema.ts `cardActionSchema`) is answered `{}` (no toast) and logged once at warn.
 */
export function createCardActionHandler(opts: CardActionOptions): (data: unknown) => Promise<CardActionAnswer> {
  const { logger } = opts;
  return async (raw) => {
    const parsed = cardActionSchema.safeParse(raw);
    if (!parsed.success) {
      logger.warn({ event: 'card.action.trigger', issues: describeIssues(parsed.error) }, 'feishu card action malformed; acknowledged and dropped');
      return {};
    }
    // The schema checks the types of every field FeishuCardActionEvent names.
    const data = parsed.data as FeishuCardActionEvent;
    const value = data.action?.value;
    const actionId = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[ACTION_VALUE_KEY] : undefined;
    const where = { eventId: data.event_id, cardMessageId: data.context?.open_message_id, conversation: data.context?.open_chat_id };
    if (data.app_id !== undefined && data.app_id !== opts.appId) {
      logger.warn({ ...where, appId: data.app_id }, 'feishu card action rejected: it is for another app');
      return {};
    }
    if (typeof actionId !== 'string' || actionId === '') {
      logger.debug(where, 'feishu card action without our action id; ignored');
      return {};
    }
    const userId = data.operator?.open_id ?? '';
    const handler = opts.handler();
    if (!handler || userId === '') {
      return { toast: { type: 'warning', content: 'Switchboard is not accepting this right now; try again shortly.' } };
    }
    const answerMs = opts.answerMs ?? CARD_ACTION_ANSWER_MS;
    let timer: { cancel(): void } | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = opts.clock.setTimeout(() => resolve(undefined), answerMs);
    });
    try {
      // The name lookup runs inside the answer window too (the callback has about 3 s in all).
      const pressed = async (): Promise<ActionResult> => {
        const name = await opts.names?.(userId);
        const user = name !== undefined ? { id: userId, name } : { id: userId };
        return handler({ channelId: opts.channelId, actionId, user, conversation: data.context?.open_chat_id ?? '' });
      };
      const result = await Promise.race([pressed(), late]);
      if (result === undefined) {
        logger.warn({ ...where, actionId, answerMs }, 'feishu card action still being handled; answered before Feishu gives up');
        return { toast: { type: 'info', content: 'Working on it…' } };
      }
      logger.debug({ ...where, actionId, result: result.status }, 'feishu card action handled');
      return { toast: { type: TOAST_TYPE[result.status], content: result.text } };
    } catch (err) {
      logger.error({ ...where, actionId, err }, 'feishu card action handling failed');
      return { toast: { type: 'error', content: 'That did not work; try again.' } };
    } finally {
      timer?.cancel();
    }
  };
}
