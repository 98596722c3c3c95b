/**
 * The fake's Web API methods for live answers: the streaming trio, `assistant.threads.setStatus`
 * and `chat.postEphemeral`. Facts (docs.slack.dev/reference/methods/chat.startStream,
 * chat.appendStream, chat.stopStream, assistant.threads.setStatus, chat.postEphemeral):
 * - startStream needs `channel`; `thread_ts` makes it a reply; outside DMs Slack requires
 *   `recipient_user_id` and `recipient_team_id` (the fake answers `invalid_arguments` without them);
 *   it answers `{ok, channel, ts}` of the new message, which is streaming.
 * - appendStream / stopStream need `channel` and `ts`; text comes as `markdown_text` (≤ 12,000
 *   characters) and/or `chunks` (`markdown_text`, `task_update`, `plan_update`, `blocks`); appending
 *   to (or stopping) a stream that stopped answers `message_not_in_streaming_state` (the code Slack
 *   answers, reported in slackapi/python-slack-sdk#1859); stopStream `blocks` go at the bottom.
 * - The fake's streamed message: `text` = every `markdown_text` (argument and chunks) concatenated,
 *   `chunks` = every chunk in order (markdown_text arguments as `markdown_text` chunks), `streaming`
 *   while open. A later chat.update replaces the message's content (its `chunks` are dropped).
 * - `FakeSlackOptions.streamingError` / `FakeSlack.setStreamingError()`: the three streaming methods
 *   answer that error (e.g. `unknown_method`), as for an app or workspace without streaming.
 */
import type { ApiResponse, MethodHandler, WebApiState } from './web-api.js';
import type { StoredMessage } from './types.js';

/** Largest markdown_text per call (Slack's documented limit). */
const MAX_MARKDOWN = 12_000;

/** An ephemeral message the bot showed one user (chat.postEphemeral). */
export interface StoredEphemeral {
  channel: string;
  user: string;
  text: string;
  thread_ts?: string;
  blocks?: unknown;
  message_ts: string;
}

/** A status set with assistant.threads.setStatus. */
export interface StoredStatus {
  channel_id: string;
  thread_ts: string;
  status: string;
}

export interface LiveApiState {
  /** When set, the streaming methods answer this error. */
  streamingError?: string;
  ephemerals: StoredEphemeral[];
  statuses: StoredStatus[];
}

const err = (error: string, extra: ApiResponse = {}): ApiResponse => ({ ok: false, error, ...extra });
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

type Chunk = Record<string, unknown> & { type?: unknown };

function channelOf(body: Record<string, unknown>, s: WebApiState): string | undefined {
  const channel = str(body.channel);
  return channel !== undefined && (s.channels === undefined || s.channels.has(channel)) ? channel : undefined;
}

/** The chunks of a call (markdown_text argument first), or an error answer. */
function chunksOf(body: Record<string, unknown>): Chunk[] | ApiResponse {
  const out: Chunk[] = [];
  const md = typeof body.markdown_text === 'string' ? body.markdown_text : undefined;
  if (md !== undefined) out.push({ type: 'markdown_text', text: md });
  const { chunks } = body;
  if (chunks !== undefined) {
    if (!Array.isArray(chunks)) return err('invalid_chunks');
    for (const c of chunks as Chunk[]) {
      if (c === null || typeof c !== 'object' || !['markdown_text', 'task_update', 'plan_update', 'blocks'].includes(String(c.type)))
        return err('invalid_chunks');
      if (c.type === 'markdown_text' && typeof c.text !== 'string') return err('invalid_chunks');
      if (c.type === 'task_update' && (typeof c.id !== 'string' || typeof c.title !== 'string')) return err('invalid_chunks');
      if (c.type === 'blocks' && !Array.isArray(c.blocks)) return err('invalid_chunks');
      out.push(c);
    }
  }
  const text = out.filter((c) => c.type === 'markdown_text').map((c) => String(c.text));
  if (text.some((t) => t.length > MAX_MARKDOWN)) return err('msg_too_long');
  return out;
}

const textOf = (chunks: Chunk[]): string =>
  chunks
    .filter((c) => c.type === 'markdown_text')
    .map((c) => String(c.text))
    .join('');

function streamed(body: Record<string, unknown>, s: WebApiState): { channel: string; msg: StoredMessage } | ApiResponse {
  const channel = channelOf(body, s);
  if (channel === undefined) return err('channel_not_found');
  const ts = str(body.ts);
  const msg = ts === undefined ? undefined : s.store.get(channel, ts);
  if (!msg || !Array.isArray(msg.chunks)) return err('message_not_found');
  if (msg.streaming !== true) return err('message_not_in_streaming_state');
  return { channel, msg };
}

function streamingMethod(handle: MethodHandler): MethodHandler {
  return (body, s) => (s.live.streamingError !== undefined ? err(s.live.streamingError) : handle(body, s));
}

export const LIVE_METHODS: Record<string, { token: 'bot'; handle: MethodHandler }> = {
  'chat.startStream': {
    token: 'bot',
    handle: streamingMethod((body, s) => {
      const channel = channelOf(body, s);
      if (channel === undefined) return err('channel_not_found');
      if (!channel.startsWith('D') && (str(body.recipient_user_id) === undefined || str(body.recipient_team_id) === undefined)) {
        return err('invalid_arguments', { detail: 'recipient_user_id and recipient_team_id are required outside DMs' });
      }
      const chunks = chunksOf(body);
      if (!Array.isArray(chunks)) return chunks;
      const ts = s.clock.next();
      const msg: StoredMessage = {
        type: 'message',
        channel,
        ts,
        user: s.botUserId,
        bot_id: s.botId,
        app_id: s.appId,
        text: textOf(chunks),
        chunks,
        streaming: true,
        ...(str(body.thread_ts) ? { thread_ts: str(body.thread_ts) } : {}),
        ...(str(body.recipient_user_id) ? { recipient_user_id: str(body.recipient_user_id) } : {}),
        ...(str(body.task_display_mode) ? { task_display_mode: str(body.task_display_mode) } : {}),
      };
      s.store.upsert(msg);
      return { ok: true, channel, ts };
    }),
  },

  'chat.appendStream': {
    token: 'bot',
    handle: streamingMethod((body, s) => {
      const target = streamed(body, s);
      if (!('msg' in target)) return target;
      const chunks = chunksOf(body);
      if (!Array.isArray(chunks)) return chunks;
      if (chunks.length === 0) return err('invalid_arguments', { detail: 'markdown_text or chunks is required' });
      const { channel, msg } = target as { channel: string; msg: StoredMessage };
      s.store.upsert({ ...msg, text: (msg.text ?? '') + textOf(chunks), chunks: [...(msg.chunks as Chunk[]), ...chunks] });
      return { ok: true, channel, ts: msg.ts };
    }),
  },

  'chat.stopStream': {
    token: 'bot',
    handle: streamingMethod((body, s) => {
      const target = streamed(body, s);
      if (!('msg' in target)) return target;
      const chunks = chunksOf(body);
      if (!Array.isArray(chunks)) return chunks;
      const { channel, msg } = target as { channel: string; msg: StoredMessage };
      const patch: StoredMessage = { ...msg, text: (msg.text ?? '') + textOf(chunks), chunks: [...(msg.chunks as Chunk[]), ...chunks], streaming: false };
      if (Array.isArray(body.blocks)) patch.blocks = body.blocks;
      const stored = s.store.upsert(patch);
      const { channel: _c, ...message } = stored;
      return { ok: true, channel, ts: msg.ts, message };
    }),
  },

  'assistant.threads.setStatus': {
    token: 'bot',
    handle: (body, s) => {
      const channel = str(body.channel_id);
      const threadTs = str(body.thread_ts);
      if (channel === undefined || (s.channels !== undefined && !s.channels.has(channel))) return err('channel_not_found');
      if (threadTs === undefined || typeof body.status !== 'string') return err('invalid_arguments');
      s.live.statuses.push({ channel_id: channel, thread_ts: threadTs, status: body.status });
      return { ok: true };
    },
  },

  'chat.postEphemeral': {
    token: 'bot',
    handle: (body, s) => {
      const channel = channelOf(body, s);
      const user = str(body.user);
      if (channel === undefined) return err('channel_not_found');
      if (user === undefined) return err('user_not_in_channel');
      if (str(body.text) === undefined && body.blocks === undefined) return err('no_text');
      const messageTs = s.clock.next();
      const e: StoredEphemeral = { channel, user, text: str(body.text) ?? '', message_ts: messageTs };
      if (str(body.thread_ts)) e.thread_ts = str(body.thread_ts);
      if (body.blocks !== undefined) e.blocks = body.blocks;
      s.live.ephemerals.push(e);
      return { ok: true, message_ts: messageTs };
    },
  },
};
