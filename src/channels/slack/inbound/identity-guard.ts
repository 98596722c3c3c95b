/**
 * Is an inbound Slack payload for this app in this workspace? Pure checks of the ids a validated
 * payload (./schema.ts) carries against the app's own identity from `auth.test`.
 *
 * Slack facts (api.slack.com/apis/events-api "Event wrapper", "authorizations"; /apis/connect
 * "Slack Connect: events"): `api_app_id` is the app the event is delivered to. `authorizations`
 * lists the installation(s) the event is delivered for. In a channel shared with another
 * organisation (Slack Connect) the wrapper's `team_id` may name the *other* workspace — the one the
 * event originated in — while `authorizations` and `context_team_id` still name ours. An org-wide
 * (Enterprise Grid) installation is named by `enterprise_id`, its `team_id` is null.
 *
 * Decision (documented in the README's Slack section): an event is ours when its `api_app_id` is
 * our app (or absent, or our app id is unknown) and
 * - it carries `authorizations`: one of them names our workspace (`team_id`), or — when the
 *   authorisation has no team — our Enterprise Grid org (`enterprise_id`);
 * - it carries none: its `team_id` or `context_team_id` is our workspace, or, with neither set, its
 *   `enterprise_id` / `context_enterprise_id` is our org.
 * So Slack Connect messages in a channel shared with our workspace are answered; events for another
 * installation of the same app (another workspace, or another app sharing the signing secret or
 * Socket Mode connection) are not.
 *
 * Without a known workspace or org id (auth.test returned neither) only the app id is checked.
 *
 * A button press (`block_actions`) is ours when its `api_app_id` is ours and its `team.id`, its
 * presser's `user.team_id` or its `enterprise.id` names our workspace / org (a presser from the other
 * organisation of a shared channel may carry their own team).
 */
import type { BlockActionsPayload, EventCallback } from './schema.js';

/** The app's own identity: from `auth.test` (`team_id`, `enterprise_id`, `app_id`) or bots.info. */
export interface OwnSlackIdentity {
  teamId?: string;
  enterpriseId?: string;
  /** The app id (`A…`); when unknown, `api_app_id` is not checked. */
  appId?: string;
}

/** Why a payload is foreign, and the ids it named (for the log line). */
export interface ForeignVerdict {
  reason: 'other_app' | 'other_workspace';
  ids: Record<string, unknown>;
}

const same = (a: string | null | undefined, b: string | undefined): boolean => b !== undefined && a === b;

/** Null when `body` (an `event_callback`) is for us, else why not. */
export function foreignEvent(body: EventCallback, own: OwnSlackIdentity): ForeignVerdict | null {
  const ids = {
    api_app_id: body.api_app_id,
    team_id: body.team_id,
    context_team_id: body.context_team_id,
    enterprise_id: body.enterprise_id,
    context_enterprise_id: body.context_enterprise_id,
    ...(body.authorizations ? { authorizations: body.authorizations.map((a) => ({ team_id: a.team_id, enterprise_id: a.enterprise_id })) } : {}),
  };
  if (own.appId !== undefined && body.api_app_id !== undefined && body.api_app_id !== own.appId) return { reason: 'other_app', ids };
  if (own.teamId === undefined && own.enterpriseId === undefined) return null;
  const auths = body.authorizations ?? [];
  const ours =
    auths.length > 0
      ? auths.some((a) => same(a.team_id, own.teamId) || (!a.team_id && same(a.enterprise_id, own.enterpriseId)))
      : same(body.team_id, own.teamId) ||
        same(body.context_team_id, own.teamId) ||
        (!body.team_id && !body.context_team_id && (same(body.enterprise_id, own.enterpriseId) || same(body.context_enterprise_id, own.enterpriseId)));
  return ours ? null : { reason: 'other_workspace', ids };
}

/** Null when `body` (a `block_actions` payload) is for us, else why not. */
export function foreignAction(body: BlockActionsPayload, own: OwnSlackIdentity): ForeignVerdict | null {
  const ids = { api_app_id: body.api_app_id, team_id: body.team?.id, user_team_id: body.user.team_id, enterprise_id: body.enterprise?.id };
  if (own.appId !== undefined && body.api_app_id !== undefined && body.api_app_id !== own.appId) return { reason: 'other_app', ids };
  if (own.teamId === undefined && own.enterpriseId === undefined) return null;
  const ours = same(body.team?.id, own.teamId) || same(body.user.team_id, own.teamId) || same(body.enterprise?.id, own.enterpriseId);
  return ours ? null : { reason: 'other_workspace', ids };
}
