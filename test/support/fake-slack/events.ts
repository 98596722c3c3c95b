/**
 * Builders for realistic Events API payloads: the inner `event` objects Slack sends for mentions,
 * DMs, channel messages, bot messages and edits, and the `event_callback` / `url_verification`
 * bodies around them. Field sets follow @slack/types (AppMentionEvent, GenericMessageEvent, …).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createTsClock } from './ts-clock.js';

export type SlackEvent = Record<string, unknown> & { type: string };
export type ChannelType = 'channel' | 'group' | 'im' | 'mpim';

/** Default timestamps for builders when a test gives none (earlier than the fake's own ts). */
const eventClock = createTsClock(1_690_000_000);
export const nextEventTs = (): string => eventClock.next();

export const DEFAULT_TEAM_ID = 'T0FAKE';

export interface FileSpec {
  name: string;
  permalink?: string;
  id?: string;
  title?: string;
  mimetype?: string;
  filetype?: string;
  size?: number;
  url_private?: string;
  user?: string;
}

const MIME_BY_EXT: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  pdf: 'application/pdf',
  json: 'application/json',
  csv: 'text/csv',
};

const fileId = (): string => `F${randomBytes(5).toString('hex').toUpperCase()}`;

/** A Slack file object as it appears in `event.files`. */
export function fileObject(spec: FileSpec, owner: string, team = DEFAULT_TEAM_ID): Record<string, unknown> {
  const id = spec.id ?? fileId();
  const ext = (spec.name.split('.').pop() ?? '').toLowerCase();
  const filetype = spec.filetype ?? (ext === spec.name.toLowerCase() ? 'binary' : ext);
  const mimetype = spec.mimetype ?? MIME_BY_EXT[ext] ?? 'application/octet-stream';
  const filesBase = `https://files.slack.com/files-pri/${team}-${id}`;
  const urlPrivate = spec.url_private ?? `${filesBase}/${encodeURIComponent(spec.name)}`;
  return {
    id,
    created: 1_700_000_000,
    timestamp: 1_700_000_000,
    name: spec.name,
    title: spec.title ?? spec.name,
    mimetype,
    filetype,
    pretty_type: filetype.toUpperCase(),
    user: spec.user ?? owner,
    user_team: team,
    editable: false,
    size: spec.size ?? 1024,
    mode: 'hosted',
    is_external: false,
    external_type: '',
    is_public: false,
    public_url_shared: false,
    display_as_bot: false,
    username: '',
    url_private: urlPrivate,
    url_private_download: spec.url_private ?? `${filesBase}/download/${encodeURIComponent(spec.name)}`,
    permalink: spec.permalink ?? `https://fake-workspace.slack.com/files/${owner}/${id}/${encodeURIComponent(spec.name)}`,
    permalink_public: `https://slack-files.com/${team}-${id}-0000000000`,
    is_starred: false,
    has_rich_preview: false,
    file_access: 'visible',
  };
}

/** A rich_text block for `text`, with `<@U…>` mentions and `<url|label>` links as their own elements. */
export function richTextBlock(text: string): Record<string, unknown> {
  const elements: Array<Record<string, unknown>> = [];
  const re = /<@([UW][A-Z0-9]+)>|<(https?:\/\/[^|>]+)(?:\|([^>]*))?>/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) elements.push({ type: 'text', text: text.slice(last, m.index) });
    if (m[1]) elements.push({ type: 'user', user_id: m[1] });
    else elements.push({ type: 'link', url: m[2], ...(m[3] ? { text: m[3] } : {}) });
    last = m.index + m[0].length;
  }
  if (last < text.length) elements.push({ type: 'text', text: text.slice(last) });
  return {
    type: 'rich_text',
    block_id: randomBytes(3).toString('base64url').slice(0, 4),
    elements: [{ type: 'rich_text_section', elements }],
  };
}

export interface UserMessageInput {
  user: string;
  channel: string;
  text: string;
  ts?: string;
  thread_ts?: string;
  files?: FileSpec[];
  team?: string;
}

function userMessageFields(input: UserMessageInput): Record<string, unknown> {
  const ts = input.ts ?? nextEventTs();
  const team = input.team ?? DEFAULT_TEAM_ID;
  const fields: Record<string, unknown> = {
    user: input.user,
    text: input.text,
    ts,
    channel: input.channel,
    event_ts: ts,
    team,
    client_msg_id: randomUUID(),
    blocks: input.text === '' ? [] : [richTextBlock(input.text)],
  };
  if (input.thread_ts !== undefined) fields.thread_ts = input.thread_ts;
  if (input.files && input.files.length > 0) {
    fields.files = input.files.map((f) => fileObject(f, input.user, team));
    fields.upload = false;
    fields.display_as_bot = false;
  }
  return fields;
}

/** `app_mention` (the text should contain `<@BOTID>`; it is used as given). */
export function appMention(input: UserMessageInput): SlackEvent {
  return { type: 'app_mention', ...userMessageFields(input) };
}

function message(input: UserMessageInput, channelType: ChannelType): SlackEvent {
  const fields = userMessageFields(input);
  // A message carrying files arrives with subtype file_share.
  const subtype = fields.files ? { subtype: 'file_share' } : {};
  return { type: 'message', ...subtype, ...fields, channel_type: channelType };
}

/** A direct message (`message` with `channel_type: 'im'`; channel ids start with D). */
export function dmMessage(input: UserMessageInput): SlackEvent {
  return message(input, 'im');
}

/** A message in a channel the bot is in (`channel_type` 'channel', or 'group' / 'mpim'). */
export function channelMessage(input: UserMessageInput & { channel_type?: Exclude<ChannelType, 'im'> }): SlackEvent {
  return message(input, input.channel_type ?? 'channel');
}

export interface BotMessageInput {
  channel: string;
  text: string;
  bot_id?: string;
  /** When given, the modern app-message shape: no subtype, `user` + `bot_id` + `app_id` + `bot_profile`. */
  user?: string;
  app_id?: string;
  /** Legacy `bot_message` display name. */
  username?: string;
  ts?: string;
  thread_ts?: string;
  channel_type?: ChannelType;
  team?: string;
}

/**
 * A message from a bot: by default the legacy `subtype: 'bot_message'` form (integrations, webhooks);
 * with `user` set, the form messages posted by apps take (no subtype, but `bot_id` and `bot_profile`).
 */
export function botMessage(input: BotMessageInput): SlackEvent {
  const ts = input.ts ?? nextEventTs();
  const botId = input.bot_id ?? 'B0OTHER';
  const team = input.team ?? DEFAULT_TEAM_ID;
  const common: Record<string, unknown> = {
    text: input.text,
    ts,
    channel: input.channel,
    event_ts: ts,
    channel_type: input.channel_type ?? (input.channel.startsWith('D') ? 'im' : 'channel'),
    bot_id: botId,
  };
  if (input.thread_ts !== undefined) common.thread_ts = input.thread_ts;
  if (input.user !== undefined) {
    const appId = input.app_id ?? 'A0OTHER';
    return {
      type: 'message',
      ...common,
      user: input.user,
      app_id: appId,
      team,
      bot_profile: { id: botId, app_id: appId, name: input.username ?? 'other-bot', team_id: team, deleted: false },
      blocks: [richTextBlock(input.text)],
    };
  }
  return { type: 'message', subtype: 'bot_message', ...common, username: input.username ?? 'other-bot' };
}

export interface MessageChangedInput {
  user: string;
  channel: string;
  /** ts of the edited message. */
  ts: string;
  /** The new text. */
  text: string;
  previousText?: string;
  thread_ts?: string;
  /** ts of the edit event itself (default: fresh). */
  eventTs?: string;
  channel_type?: ChannelType;
}

/** `message` / `message_changed`: an edit of an earlier message. */
export function messageChanged(input: MessageChangedInput): SlackEvent {
  const eventTs = input.eventTs ?? nextEventTs();
  const channelType = input.channel_type ?? (input.channel.startsWith('D') ? 'im' : 'channel');
  const base = { type: 'message', user: input.user, ts: input.ts, ...(input.thread_ts ? { thread_ts: input.thread_ts } : {}) };
  return {
    type: 'message',
    subtype: 'message_changed',
    hidden: true,
    channel: input.channel,
    channel_type: channelType,
    ts: eventTs,
    event_ts: eventTs,
    message: {
      ...base,
      text: input.text,
      blocks: [richTextBlock(input.text)],
      edited: { user: input.user, ts: eventTs },
      client_msg_id: randomUUID(),
    },
    previous_message: { ...base, text: input.previousText ?? '', client_msg_id: randomUUID() },
  };
}

/** `message` / `message_deleted`. */
export function messageDeleted(input: { channel: string; ts: string; user?: string; text?: string; channel_type?: ChannelType }): SlackEvent {
  const eventTs = nextEventTs();
  return {
    type: 'message',
    subtype: 'message_deleted',
    hidden: true,
    channel: input.channel,
    channel_type: input.channel_type ?? (input.channel.startsWith('D') ? 'im' : 'channel'),
    ts: eventTs,
    event_ts: eventTs,
    deleted_ts: input.ts,
    previous_message: { type: 'message', user: input.user ?? 'U0SOMEONE', text: input.text ?? '', ts: input.ts },
  };
}

export interface EventCallbackOptions {
  teamId?: string;
  appId?: string;
  /** The installing bot's user id, reported in `authorizations` (default 'UBOT'). */
  botUserId?: string;
  eventId?: string;
  /** Unix seconds (default now). */
  eventTime?: number;
  /** Verification token (deprecated by Slack, still sent). */
  token?: string;
}

export const newEventId = (): string => `Ev${randomBytes(5).toString('hex').toUpperCase()}`;

/** The `event_callback` body Slack POSTs (HTTP) or puts in an envelope's payload (Socket Mode). */
export function eventCallback(event: SlackEvent, opts: EventCallbackOptions = {}): Record<string, unknown> {
  const teamId = opts.teamId ?? DEFAULT_TEAM_ID;
  return {
    token: opts.token ?? 'fake-verification-token',
    team_id: teamId,
    context_team_id: teamId,
    context_enterprise_id: null,
    api_app_id: opts.appId ?? 'A1',
    event,
    type: 'event_callback',
    event_id: opts.eventId ?? newEventId(),
    event_time: opts.eventTime ?? Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: teamId, user_id: opts.botUserId ?? 'UBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: `4-fake-${randomBytes(6).toString('hex')}`,
  };
}

/** The `url_verification` body Slack POSTs when a Request URL is saved. */
export function urlVerification(challenge: string, token = 'fake-verification-token'): Record<string, unknown> {
  return { token, challenge, type: 'url_verification' };
}
