/**
 * The Web API methods the fake implements. Each handler gets the parsed body and answers Slack's
 * JSON (`{ok:true,…}` or `{ok:false, error}`); transport, auth and failure injection live in server.ts.
 */
import type { MessageStore } from './message-store.js';
import type { TsClock } from './ts-clock.js';
import type { FakeSlackUser, StoredMessage } from './types.js';
import { LIVE_METHODS, type LiveApiState } from './web-api-live.js';

export interface WebApiState {
  botUserId: string;
  botId: string;
  teamId: string;
  appId: string;
  /** Whether auth.test reports `app_id` (else only bots.info does). */
  authTestAppId: boolean;
  users: Map<string, FakeSlackUser>;
  store: MessageStore;
  clock: TsClock;
  /** Hands out a fresh Socket Mode URL (apps.connections.open). */
  openSocketUrl(): string;
  /** When set, the only conversations that exist (FakeSlackOptions.channels). */
  channels?: ReadonlySet<string>;
  /** Streaming availability, ephemerals and statuses (./web-api-live.ts). */
  live: LiveApiState;
}

export type ApiResponse = Record<string, unknown>;
export type MethodHandler = (body: Record<string, unknown>, state: WebApiState) => ApiResponse;
/** Which token a method needs: a bot/user token, or an app-level (`xapp-`) one. */
export type TokenKind = 'bot' | 'app';

interface MethodSpec {
  token: TokenKind;
  handle: MethodHandler;
}

const MAX_TEXT = 40_000;
const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3_000;

const err = (error: string, extra: ApiResponse = {}): ApiResponse => ({ ok: false, error, ...extra });
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The `channel` of a request when that conversation exists (any, unless FakeSlackOptions.channels). */
function existingChannel(body: Record<string, unknown>, s: WebApiState): string | undefined {
  const channel = str(body.channel);
  return channel !== undefined && (s.channels === undefined || s.channels.has(channel)) ? channel : undefined;
}

/** Mirrors the checks Slack applies to message content; undefined when acceptable. */
function contentError(body: Record<string, unknown>): ApiResponse | undefined {
  const text = str(body.text);
  const { blocks, attachments } = body;
  if (text === undefined && blocks === undefined && attachments === undefined) return err('no_text');
  if (text !== undefined && text.length > MAX_TEXT) return err('msg_too_long');
  if (blocks !== undefined) {
    if (!Array.isArray(blocks)) return err('invalid_blocks_format');
    if (blocks.length > MAX_BLOCKS) return err('invalid_blocks', { errors: [`must provide no more than ${MAX_BLOCKS} items`] });
    for (const b of blocks as Array<Record<string, unknown>>) {
      const t = (b?.text as { text?: unknown } | undefined)?.text;
      if (b?.type === 'section' && typeof t === 'string' && t.length > MAX_SECTION_TEXT) {
        return err('invalid_blocks', { errors: [`must be less than ${MAX_SECTION_TEXT + 1} characters [json-pointer:/blocks/0/text]`] });
      }
    }
  }
  return undefined;
}

function botMessage(state: WebApiState, channel: string, ts: string, body: Record<string, unknown>): StoredMessage {
  const msg: StoredMessage = {
    type: 'message',
    channel,
    ts,
    user: state.botUserId,
    bot_id: state.botId,
    app_id: state.appId,
    team: state.teamId,
    text: str(body.text) ?? '',
    bot_profile: { id: state.botId, app_id: state.appId, name: 'switchboard', team_id: state.teamId, deleted: false },
  };
  for (const key of ['blocks', 'attachments', 'metadata'] as const) if (body[key] !== undefined) msg[key] = body[key];
  const threadTs = str(body.thread_ts);
  if (threadTs !== undefined) {
    msg.thread_ts = threadTs;
    const parent = state.store.get(channel, threadTs);
    if (parent?.user) msg.parent_user_id = parent.user;
  }
  return msg;
}

/** Strips store-only fields (`channel`) the way Slack's message objects omit them. */
function asMessageObject(m: StoredMessage): ApiResponse {
  const { channel: _channel, ...rest } = m;
  return rest;
}

function userObject(id: string, u: FakeSlackUser, teamId: string): ApiResponse {
  const realName = u.real_name ?? u.name;
  const displayName = u.display_name ?? '';
  return {
    id,
    team_id: teamId,
    name: u.name,
    deleted: false,
    real_name: realName,
    is_bot: u.is_bot ?? false,
    is_app_user: false,
    tz: 'Etc/UTC',
    profile: {
      display_name: displayName,
      display_name_normalized: displayName,
      real_name: realName,
      real_name_normalized: realName,
      team: teamId,
    },
  };
}

export const METHODS: Record<string, MethodSpec> = {
  ...LIVE_METHODS,
  'api.test': { token: 'bot', handle: (body) => ({ ok: true, args: body }) },

  'auth.test': {
    token: 'bot',
    handle: (_body, s) => ({
      ok: true,
      url: 'https://fake-workspace.slack.com/',
      team: 'Fake Workspace',
      user: s.users.get(s.botUserId)?.name ?? 'switchboard',
      team_id: s.teamId,
      user_id: s.botUserId,
      bot_id: s.botId,
      ...(s.authTestAppId ? { app_id: s.appId, app_name: 'Switchboard' } : {}),
      is_enterprise_install: false,
    }),
  },

  'bots.info': {
    token: 'bot',
    handle: (body, s) =>
      str(body.bot) === s.botId
        ? { ok: true, bot: { id: s.botId, app_id: s.appId, user_id: s.botUserId, name: 'switchboard', deleted: false, updated: 1_700_000_000 } }
        : err('bot_not_found'),
  },

  'apps.connections.open': { token: 'app', handle: (_body, s) => ({ ok: true, url: s.openSocketUrl() }) },

  'chat.postMessage': {
    token: 'bot',
    handle: (body, s) => {
      const channel = existingChannel(body, s);
      if (channel === undefined) return err('channel_not_found');
      const bad = contentError(body);
      if (bad) return bad;
      const msg = s.store.upsert(botMessage(s, channel, s.clock.next(), body));
      return { ok: true, channel, ts: msg.ts, message: asMessageObject(msg) };
    },
  },

  'chat.update': {
    token: 'bot',
    handle: (body, s) => {
      const channel = existingChannel(body, s);
      const ts = str(body.ts);
      if (channel === undefined) return err('channel_not_found');
      if (ts === undefined) return err('message_not_found');
      const existing = s.store.get(channel, ts);
      if (!existing) return err('message_not_found');
      if (existing.user !== s.botUserId && existing.bot_id !== s.botId) return err('cant_update_message');
      const bad = contentError(body);
      if (bad) return bad;
      const patch: StoredMessage = { type: 'message', channel, ts, edited: { user: s.botUserId, ts: s.clock.next() } };
      if (body.text !== undefined) patch.text = String(body.text);
      for (const key of ['blocks', 'attachments', 'metadata'] as const) if (body[key] !== undefined) patch[key] = body[key];
      // An update replaces a streamed message's content: what it streamed is gone.
      if (existing.chunks !== undefined) patch.chunks = undefined;
      const msg = s.store.upsert(patch);
      return { ok: true, channel, ts, text: msg.text ?? '', message: asMessageObject(msg) };
    },
  },

  'reactions.add': {
    token: 'bot',
    handle: (body, s) => {
      const channel = existingChannel(body, s);
      const ts = str(body.timestamp);
      const name = str(body.name);
      if (channel === undefined) return err('channel_not_found');
      if (ts === undefined) return err('no_item_specified');
      if (name === undefined) return err('invalid_name');
      return s.store.addReaction(channel, ts, name.replace(/^:|:$/g, ''), s.botUserId) ? { ok: true } : err('already_reacted');
    },
  },

  'reactions.remove': {
    token: 'bot',
    handle: (body, s) => {
      const channel = existingChannel(body, s);
      const ts = str(body.timestamp);
      const name = str(body.name);
      if (channel === undefined) return err('channel_not_found');
      if (ts === undefined) return err('no_item_specified');
      if (name === undefined) return err('invalid_name');
      return s.store.removeReaction(channel, ts, name.replace(/^:|:$/g, ''), s.botUserId) ? { ok: true } : err('no_reaction');
    },
  },

  'users.info': {
    token: 'bot',
    handle: (body, s) => {
      const id = str(body.user);
      const u = id === undefined ? undefined : s.users.get(id);
      if (id === undefined || !u) return err('user_not_found');
      return { ok: true, user: userObject(id, u, s.teamId) };
    },
  },

  'conversations.replies': {
    token: 'bot',
    handle: (body, s) => {
      const channel = str(body.channel);
      const ts = str(body.ts);
      if (channel === undefined) return err('channel_not_found');
      if (ts === undefined) return err('invalid_arguments');
      const thread = s.store.thread(channel, ts);
      if (!thread) return err('thread_not_found');
      const limit = Math.max(1, Math.min(1000, Number(body.limit ?? 1000) || 1000));
      const offset = Number(str(body.cursor) ?? 0) || 0;
      const page = thread.slice(offset, offset + limit);
      const more = offset + limit < thread.length;
      return {
        ok: true,
        messages: page.map(asMessageObject),
        has_more: more,
        response_metadata: { next_cursor: more ? String(offset + limit) : '' },
      };
    },
  },
};
