/**
 * zod schemas of the Feishu payloads the adapter reads, checked at the inbound seam: the webhook
 * body (./webhook.ts) and each event as the SDK's EventDispatcher hands it to a handler
 * (./handler.ts, ./card-actions.ts; both connection modes). Objects are loose — Feishu adds fields
 * freely — and only the fields read here are constrained; a field of the wrong type makes the
 * payload malformed. Presence of ids is left to the handlers (they skip an event without
 * `message_id` / `chat_id` / sender).
 *
 * Feishu facts (open.feishu.cn "事件订阅概述" event subscription, "接收消息 im.message.receive_v1",
 * "卡片回传交互 card.action.trigger"):
 * - `url_verification`: `{challenge, token, type: "url_verification"}`, answered `{challenge}`.
 * - Schema 2.0 events: `{schema: "2.0", header: {event_id, event_type, create_time, token, app_id,
 *   tenant_key}, event: {…}}`; the EventDispatcher flattens header and event into one object.
 * - `im.message.receive_v1` event: `sender {sender_id {open_id, union_id, user_id}, sender_type,
 *   tenant_key}`, `message {message_id, root_id, parent_id, thread_id, chat_id, chat_type,
 *   message_type, content (a JSON string), mentions: [{key, id {open_id, …}, name, tenant_key}]}`.
 * - `card.action.trigger` event: `operator {open_id, user_id, union_id}`, `action {tag, value}`,
 *   `context {open_message_id, open_chat_id}`.
 */
import { z } from 'zod';

const userIds = z.looseObject({ open_id: z.string().optional(), user_id: z.string().optional(), union_id: z.string().optional() });

/** `url_verification` (plain or decrypted). */
export const urlVerificationSchema = z.looseObject({
  type: z.literal('url_verification'),
  challenge: z.string(),
  token: z.string().optional(),
});

/** A schema 2.0 envelope: `header` and `event` must be objects, the header's ids strings. */
export const eventEnvelopeSchema = z.looseObject({
  schema: z.literal('2.0'),
  header: z.looseObject({
    event_id: z.string().optional(),
    event_type: z.string(),
    token: z.string().optional(),
    app_id: z.string().optional(),
    tenant_key: z.string().optional(),
  }),
  event: z.looseObject({}),
});

/** One entry of `message.mentions`; `id` is an object of ids (older payloads: the open_id string). */
const mentionSchema = z.looseObject({
  key: z.string().optional(),
  id: z.union([userIds, z.string()]).optional(),
  name: z.string().optional(),
});

/** `im.message.receive_v1`, flattened by the EventDispatcher. */
export const messageReceiveSchema = z.looseObject({
  event_id: z.string().optional(),
  token: z.string().optional(),
  app_id: z.string().optional(),
  sender: z
    .looseObject({
      sender_id: userIds.optional(),
      sender_type: z.string().optional(),
      tenant_key: z.string().optional(),
    })
    .optional(),
  message: z.looseObject({
    message_id: z.string().optional(),
    root_id: z.string().optional(),
    parent_id: z.string().optional(),
    thread_id: z.string().optional(),
    chat_id: z.string().optional(),
    chat_type: z.string().optional(),
    message_type: z.string().optional(),
    content: z.string().optional(),
    mentions: z.array(mentionSchema).optional(),
  }),
});

/** `card.action.trigger`, flattened by the EventDispatcher; `action.value` is ours to read (any JSON). */
export const cardActionSchema = z.looseObject({
  app_id: z.string().optional(),
  event_id: z.string().optional(),
  operator: userIds.optional(),
  action: z.looseObject({ tag: z.string().optional(), value: z.unknown() }).optional(),
  context: z.looseObject({ open_message_id: z.string().optional(), open_chat_id: z.string().optional() }).optional(),
});
