/**
 * The inbound seam of the Slack channel: every body Bolt's receiver (Socket Mode or HTTP) hands to
 * `App.processEvent` passes {@link inspectSlackBody} first. What is not for a listener is
 * acknowledged here and logged once, never queued and never left unanswered:
 *
 * | body | verdict |
 * |---|---|
 * | `event_callback` of a listened-to event type, valid (./schema.ts) and ours (./identity-guard.ts) | pass to Bolt |
 * | `event_callback` of another event type, valid wrapper, ours | pass (Bolt acks it; no listener runs) |
 * | `block_actions`, valid and ours | pass to Bolt (./actions.ts) |
 * | wrapper or event / payload of the wrong shape | ack, warn `slack payload malformed` |
 * | for another app or workspace | ack, warn `slack event for another app or workspace dropped` |
 * | `app_rate_limited` | ack, warn (Slack is dropping this app's events for a minute) |
 * | any other callback (`type` unknown, slash commands, view submissions, shortcuts, …) | ack, info |
 *
 * (Socket Mode: an `events_api` envelope whose payload has no `event` object never gets here — the
 * SDK's SocketModeClient 2.x reads `payload.event.type` first and its handler rejects; Slack sends
 * only `event_callback` payloads in those envelopes, and `app_rate_limited` only over HTTP.)
 *
 * Why ack and not refuse: Slack redelivers an event that is not answered 200 within 3 s (up to 3
 * retries, api.slack.com/apis/events-api#retries), and disables an app's subscriptions when more
 * than 5 % of deliveries fail in an hour (api.slack.com/events/app_rate_limited); a payload that is
 * malformed or foreign stays so on every retry. Without this seam Bolt ignores a body whose type it
 * cannot determine without acking it (App.processEvent: "Could not determine the type of an
 * incoming event"), so HTTPReceiver answers 404 only after its 3 s unhandled-request timeout.
 */
import type { App, ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../../../log.js';
import { foreignAction, foreignEvent, type OwnSlackIdentity } from './identity-guard.js';
import { describeIssues } from '../../schema-issues.js';
import { appRateLimitedSchema, blockActionsSchema, EVENT_SCHEMAS, eventCallbackSchema } from './schema.js';

export type GateVerdict = { pass: true } | { pass: false; level: 'warn' | 'info'; message: string; fields: Record<string, unknown> };

const typeOf = (body: Record<string, unknown>): string | undefined => (typeof body.type === 'string' ? body.type : undefined);

/** Decides what to do with one inbound body (pure). */
export function inspectSlackBody(body: unknown, own: OwnSlackIdentity): GateVerdict {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { pass: false, level: 'warn', message: 'slack payload malformed; acknowledged and dropped', fields: { issues: 'the body is not a JSON object' } };
  }
  return inspectObject(body as Record<string, unknown>, own);
}

function inspectObject(body: Record<string, unknown>, own: OwnSlackIdentity): GateVerdict {
  const type = typeOf(body);
  if (type === 'event_callback') {
    const wrapper = eventCallbackSchema.safeParse(body);
    if (!wrapper.success) return malformed(body, type, describeIssues(wrapper.error));
    const foreign = foreignEvent(wrapper.data, own);
    const where = { event_id: wrapper.data.event_id, event: wrapper.data.event.type };
    if (foreign) return dropForeign(foreign.reason, { ...where, ...foreign.ids });
    const schema = EVENT_SCHEMAS[wrapper.data.event.type];
    const event = schema?.safeParse(wrapper.data.event);
    if (event && !event.success) return malformed(body, type, describeIssues(event.error, 'event'));
    return { pass: true };
  }
  if (type === 'block_actions') {
    const payload = blockActionsSchema.safeParse(body);
    if (!payload.success) return malformed(body, type, describeIssues(payload.error));
    const foreign = foreignAction(payload.data, own);
    if (foreign) return dropForeign(foreign.reason, { callback: type, ...foreign.ids });
    return { pass: true };
  }
  if (type === 'app_rate_limited') {
    const p = appRateLimitedSchema.safeParse(body);
    const fields = p.success ? { team_id: p.data.team_id, api_app_id: p.data.api_app_id, minute_rate_limited: p.data.minute_rate_limited } : {};
    return {
      pass: false,
      level: 'warn',
      message: 'slack app_rate_limited: Slack is not delivering this app some events (over 30,000 an hour from one workspace); acknowledged',
      fields,
    };
  }
  const kind = type ?? (typeof body.command === 'string' ? `command ${body.command}` : '(no type)');
  return { pass: false, level: 'info', message: 'slack callback not handled by this service; acknowledged and ignored', fields: { callback: kind } };
}

function malformed(body: Record<string, unknown>, type: string, issues: string): GateVerdict {
  const ev = body.event as { type?: unknown } | undefined;
  const fields: Record<string, unknown> = { callback: type, issues };
  if (typeof body.event_id === 'string') fields.event_id = body.event_id;
  if (typeof ev?.type === 'string') fields.event = ev.type;
  return { pass: false, level: 'warn', message: 'slack payload malformed; acknowledged and dropped', fields };
}

function dropForeign(reason: string, fields: Record<string, unknown>): GateVerdict {
  return { pass: false, level: 'warn', message: 'slack event for another app or workspace dropped', fields: { reason, ...fields } };
}

/**
 * `app` as seen by a receiver: `processEvent` first inspects the body; a body that does not pass is
 * acknowledged (an empty 200 / the envelope ack) and logged, and never reaches Bolt's listeners.
 * Everything else of `app` is inherited unchanged.
 */
export function gatedApp(app: App, own: () => OwnSlackIdentity, logger: Logger): App {
  const gated = Object.create(app) as App;
  gated.processEvent = async (event: ReceiverEvent): Promise<void> => {
    const verdict = inspectSlackBody(event.body, own());
    if (verdict.pass) return app.processEvent(event);
    logger[verdict.level]({ ...verdict.fields, ...(event.retryNum ? { retryNum: event.retryNum } : {}) }, verdict.message);
    await event.ack();
  };
  return gated;
}
