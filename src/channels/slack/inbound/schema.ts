/**
 * zod schemas of the Slack payloads the adapter reads, checked at the inbound seam (./gate.ts)
 * before Bolt hands a body to a listener. Objects are loose: Slack adds fields freely, so only the
 * fields read here are constrained; a field of the wrong type makes the whole payload malformed.
 *
 * Slack facts:
 * - `event_callback` (api.slack.com/apis/events-api#callback-field, "Event wrapper"): `team_id`,
 *   `api_app_id`, `event`, `event_id`, `event_time`, `authorizations: [{enterprise_id, team_id,
 *   user_id, is_bot, is_enterprise_install}]` (ids may be null: an org-wide install has no team,
 *   a workspace outside Enterprise Grid no enterprise), `context_team_id` /
 *   `context_enterprise_id` (the workspace / org the event happened in; null outside Grid).
 * - `message` / `app_mention` (api.slack.com/events/message, /events/app_mention): `channel`, `ts`,
 *   `user`, `text` (a string; absent on some subtypes), `thread_ts`, `subtype`, `bot_id`, `files`.
 * - `block_actions` (api.slack.com/reference/interaction-payloads/block-actions): `user {id, name}`,
 *   `team {id} | null` (null for org-wide installs), `enterprise`, `api_app_id`, `channel {id}`,
 *   `container`, `message`, `actions: [{action_id, value, …}]`.
 * - `app_rate_limited` (api.slack.com/events/app_rate_limited): a top-level callback with no inner
 *   event: `{token, type, team_id, minute_rate_limited, api_app_id}`.
 */
import { z } from 'zod';

/** A string id that Slack sends as null where it does not apply (e.g. `enterprise_id` outside Grid). */
const nullableId = z.string().nullish();

/** One entry of an event's `authorizations`: an installation the event is delivered for. */
export const authorizationSchema = z.looseObject({
  team_id: nullableId,
  enterprise_id: nullableId,
  user_id: z.string().optional(),
  is_bot: z.boolean().optional(),
});

/** The `event_callback` wrapper; `event` is only required to be an object with a string `type` here. */
export const eventCallbackSchema = z.looseObject({
  type: z.literal('event_callback'),
  team_id: nullableId,
  enterprise_id: nullableId,
  context_team_id: nullableId,
  context_enterprise_id: nullableId,
  api_app_id: z.string().optional(),
  event_id: z.string().optional(),
  authorizations: z.array(authorizationSchema).optional(),
  event: z.looseObject({ type: z.string() }),
});
export type EventCallback = z.infer<typeof eventCallbackSchema>;

/** A file object of a message event (the fields read: ./text.ts fileLines). */
const fileSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().nullish(),
  title: z.string().nullish(),
  permalink: z.string().optional(),
  url_private: z.string().optional(),
});

/** `message` and `app_mention` events: the fields ./event.ts reads. */
export const messageEventSchema = z.looseObject({
  type: z.enum(['message', 'app_mention']),
  subtype: z.string().optional(),
  channel: z.string().optional(),
  channel_type: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  username: z.string().optional(),
  text: z.string().optional(),
  ts: z.string().optional(),
  thread_ts: z.string().optional(),
  files: z.array(fileSchema).optional(),
});

/** Inner event types with a listener (./listener.ts), and the schema each must satisfy. */
export const EVENT_SCHEMAS: Readonly<Record<string, z.ZodType>> = { message: messageEventSchema, app_mention: messageEventSchema };

/** A `block_actions` interactivity payload: the fields ./actions.ts reads. */
export const blockActionsSchema = z.looseObject({
  type: z.literal('block_actions'),
  api_app_id: z.string().optional(),
  team: z.looseObject({ id: z.string(), enterprise_id: z.string().optional() }).nullish(),
  enterprise: z.looseObject({ id: z.string() }).nullish(),
  user: z.looseObject({ id: z.string(), name: z.string().optional(), team_id: z.string().optional() }),
  channel: z.looseObject({ id: z.string() }).optional(),
  container: z.looseObject({ channel_id: z.string().optional(), thread_ts: z.string().optional() }).optional(),
  message: z.looseObject({ thread_ts: z.string().optional() }).optional(),
  actions: z.array(z.looseObject({ action_id: z.string(), type: z.string(), value: z.string().optional() })),
});
export type BlockActionsPayload = z.infer<typeof blockActionsSchema>;

/** The `app_rate_limited` callback (fields only logged). */
export const appRateLimitedSchema = z.looseObject({
  type: z.literal('app_rate_limited'),
  team_id: z.string().optional(),
  api_app_id: z.string().optional(),
  minute_rate_limited: z.number().optional(),
});
