/**
 * Handlers of the Open API endpoints the fake serves (auth, bot info, IM messages, reactions,
 * resources). Answers are Feishu-shaped `{code, msg, data}` (bot info: `{code, msg, bot}`); errors
 * use HTTP 400 with a non-zero code, as Feishu does for business errors.
 *
 * Error codes: 10003/10014 (token endpoint), 99991661/99991663 (token), 230011 (withdrawn) and
 * 230001 (invalid parameter) match public Feishu reports. 231003 (message not found — also for an
 * unknown reaction), 231001 (bad reaction type), 234001/234003 (resource) are the fake's choice.
 */
import type { CardStore } from './cardkit.js';
import { validateContent } from './content.js';
import { newMessageId, newThreadId } from './ids.js';
import type { MessageStore } from './message-store.js';
import type { TokenIssuer } from './tokens.js';
import type { RouteName, StoredMessage } from './types.js';

export interface OpenApiState {
  appId: string;
  appSecret: string;
  botOpenId: string;
  botName: string;
  tenantKey: string;
  store: MessageStore;
  tokens: TokenIssuer;
  /** CardKit card entities (./cardkit.ts); a reply may carry one. */
  cards: CardStore;
  /** open_id → name, for contact.user.get. */
  users: Map<string, string>;
}

export interface ApiRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: any;
}

export type ApiResult =
  | { status: number; json: Record<string, unknown>; headers?: Record<string, string> }
  | { status: number; bytes: Buffer; headers: Record<string, string> };

type Handler = (req: ApiRequest, s: OpenApiState) => ApiResult;

export const ok = (data: Record<string, unknown> = {}): ApiResult => ({ status: 200, json: { code: 0, msg: 'success', data } });
export const fail = (code: number, msg: string, status = 400): ApiResult => ({ status, json: { code, msg, data: {} } });

const RECEIVE_ID_TYPES = new Set(['open_id', 'user_id', 'union_id', 'email', 'chat_id']);

/** The message object Feishu returns from create / reply / update. */
export function messageView(m: StoredMessage, s: OpenApiState): Record<string, unknown> {
  return {
    message_id: m.message_id,
    ...(m.root_id ? { root_id: m.root_id } : {}),
    ...(m.parent_id ? { parent_id: m.parent_id } : {}),
    ...(m.thread_id ? { thread_id: m.thread_id } : {}),
    msg_type: m.msg_type,
    create_time: m.create_time,
    update_time: m.update_time,
    deleted: m.deleted,
    updated: m.updated,
    chat_id: m.chat_id,
    sender:
      m.sender_type === 'app'
        ? { id: s.appId, id_type: 'app_id', sender_type: 'app', tenant_key: s.tenantKey }
        : { id: m.sender_id, id_type: 'open_id', sender_type: 'user', tenant_key: s.tenantKey },
    body: { content: m.content },
    mentions: [],
    upper_message_id: '',
  };
}

/** The target message of a message-scoped call, or the error to answer. */
function target(s: OpenApiState, messageId: string | undefined): StoredMessage | ApiResult {
  if (!messageId) return fail(230001, 'Your request contains an invalid request parameter, message_id is empty.');
  if (s.store.isWithdrawn(messageId)) return fail(230011, 'The message was withdrawn.');
  const m = s.store.get(messageId);
  if (!m) return fail(231003, 'The message is not found, maybe not exist or deleted.');
  return m;
}

const isResult = (v: StoredMessage | ApiResult): v is ApiResult => 'status' in v;

/** `uuid` de-duplication: Feishu sends at most one message per uuid (within an hour). */
function duplicateOf(s: OpenApiState, uuid: unknown): StoredMessage | undefined {
  if (typeof uuid !== 'string' || uuid === '') return undefined;
  return s.store.sent.find((m) => m.uuid === uuid);
}

function sendBotMessage(
  s: OpenApiState,
  fields: Omit<StoredMessage, 'message_id' | 'sender_type' | 'sender_id' | 'create_time' | 'update_time' | 'deleted' | 'updated'>,
): StoredMessage {
  const stored = s.store.upsert({ ...fields, message_id: newMessageId(), sender_type: 'app', sender_id: s.appId });
  s.store.recordSent(stored);
  return stored;
}

function tokenEndpoint(kind: 'tenant' | 'app'): Handler {
  return (req, s) => {
    const { app_id: appId, app_secret: appSecret } = (req.body ?? {}) as Record<string, unknown>;
    if (appId !== s.appId) return fail(10003, 'invalid param');
    if (appSecret !== s.appSecret) return fail(10014, 'app secret invalid');
    const tenant = s.tokens.issue('tenant');
    if (kind === 'tenant') {
      return { status: 200, json: { code: 0, msg: 'ok', tenant_access_token: tenant.token, expire: tenant.expire } };
    }
    const app = s.tokens.issue('app');
    return {
      status: 200,
      json: { code: 0, msg: 'ok', app_access_token: app.token, tenant_access_token: tenant.token, expire: app.expire },
    };
  };
}

export const OPEN_API: Partial<Record<RouteName, Handler>> = {
  'auth.tenantAccessToken': tokenEndpoint('tenant'),
  'auth.appAccessToken': tokenEndpoint('app'),

  'bot.info': (_req, s) => ({
    status: 200,
    json: {
      code: 0,
      msg: 'ok',
      bot: { activate_status: 2, app_name: s.botName, avatar_url: '', ip_white_list: [], open_id: s.botOpenId },
    },
  }),

  // Feishu answers a user outside the app's contact range with 41050 "no user authority error".
  'contact.user.get': (req, s) => {
    if (req.query.user_id_type !== 'open_id') return fail(99992402, 'field validation failed: user_id_type');
    const name = s.users.get(req.params.user_id ?? '');
    if (name === undefined) return fail(41050, 'no user authority error');
    return ok({ user: { open_id: req.params.user_id, name, en_name: name } });
  },

  'im.message.create': (req, s) => {
    const idType = req.query.receive_id_type;
    if (!idType || !RECEIVE_ID_TYPES.has(idType)) return fail(99992402, 'field validation failed: receive_id_type');
    const { receive_id: receiveId, msg_type: msgType, content, uuid } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof receiveId !== 'string' || receiveId === '') return fail(99992402, 'field validation failed: receive_id');
    const bad = validateContent(msgType, content);
    if (bad) return fail(bad.code, bad.msg);
    const dup = duplicateOf(s, uuid);
    if (dup) return ok(messageView(dup, s));
    const chatId = idType === 'chat_id' ? receiveId : `oc_p2p_${receiveId}`;
    const m = sendBotMessage(s, {
      chat_id: chatId,
      msg_type: msgType as string,
      content: content as string,
      via: 'create',
      ...(typeof uuid === 'string' && uuid ? { uuid } : {}),
    });
    return ok(messageView(m, s));
  },

  'im.message.reply': (req, s) => {
    const parent = target(s, req.params.message_id);
    if (isResult(parent)) return parent;
    const { msg_type: msgType, content, reply_in_thread: inThread, uuid } = (req.body ?? {}) as Record<string, unknown>;
    const bad = validateContent(msgType, content);
    if (bad) return fail(bad.code, bad.msg);
    const dup = duplicateOf(s, uuid);
    if (dup) return ok(messageView(dup, s));
    const entity = msgType === 'interactive' ? s.cards.claim(content) : undefined;
    if (entity && 'status' in entity) return entity;
    let threadId = parent.thread_id;
    if (inThread === true && !threadId) {
      threadId = newThreadId();
      parent.thread_id = threadId;
    }
    const m = sendBotMessage(s, {
      chat_id: parent.chat_id,
      ...(parent.chat_type ? { chat_type: parent.chat_type } : {}),
      msg_type: msgType as string,
      content: content as string,
      root_id: parent.root_id ?? parent.message_id,
      parent_id: parent.message_id,
      ...(threadId ? { thread_id: threadId } : {}),
      via: 'reply',
      ...(typeof uuid === 'string' && uuid ? { uuid } : {}),
    });
    if (entity) s.cards.bind(entity.cardId, m.message_id);
    return ok(messageView(m, s));
  },

  'im.message.update': (req, s) => {
    const m = target(s, req.params.message_id);
    if (isResult(m)) return m;
    if (m.sender_type !== 'app') return fail(230001, 'Your request contains an invalid request parameter, only messages sent by the bot can be edited.');
    const { msg_type: msgType, content } = (req.body ?? {}) as Record<string, unknown>;
    if (msgType !== 'text' && msgType !== 'post') return fail(230001, 'Your request contains an invalid request parameter, only text and post can be edited.');
    const bad = validateContent(msgType, content);
    if (bad) return fail(bad.code, bad.msg);
    const updated = s.store.upsert({ ...m, msg_type: msgType, content: content as string, updated: true });
    return ok(messageView(updated, s));
  },

  'im.message.patch': (req, s) => {
    const m = target(s, req.params.message_id);
    if (isResult(m)) return m;
    if (m.sender_type !== 'app' || m.msg_type !== 'interactive') {
      return fail(230001, 'Your request contains an invalid request parameter, only cards sent by the bot can be patched.');
    }
    const content = req.body?.content;
    const bad = validateContent('interactive', content);
    if (bad) return fail(bad.code, bad.msg);
    s.store.upsert({ ...m, content: content as string, updated: true });
    return ok({});
  },

  'im.message.delete': (req, s) => {
    const m = target(s, req.params.message_id);
    if (isResult(m)) return m;
    if (m.sender_type !== 'app') return fail(230001, 'Your request contains an invalid request parameter, only messages sent by the bot can be recalled.');
    s.store.withdraw(m.message_id);
    return ok({});
  },

  'im.messageReaction.create': (req, s) => {
    const m = target(s, req.params.message_id);
    if (isResult(m)) return m;
    const emoji = req.body?.reaction_type?.emoji_type;
    if (typeof emoji !== 'string' || emoji === '') return fail(231001, 'reaction type is invalid.');
    const r = s.store.addReaction(m.message_id, emoji, s.appId);
    return ok({
      reaction_id: r.reaction_id,
      operator: { operator_id: s.appId, operator_type: 'app' },
      action_time: r.action_time,
      reaction_type: { emoji_type: r.emoji_type },
    });
  },

  'im.messageReaction.delete': (req, s) => {
    const m = target(s, req.params.message_id);
    if (isResult(m)) return m;
    const r = s.store.removeReaction(m.message_id, req.params.reaction_id ?? '');
    if (!r) return fail(231003, 'The reaction is not found.');
    return ok({
      reaction_id: r.reaction_id,
      operator: { operator_id: r.operator_id, operator_type: 'app' },
      action_time: r.action_time,
      reaction_type: { emoji_type: r.emoji_type },
    });
  },

  'im.messageResource.get': (req, s) => {
    const type = req.query.type;
    if (type !== 'image' && type !== 'file') return fail(234001, 'Invalid request param: type must be image or file.');
    const messageId = req.params.message_id ?? '';
    if (s.store.isWithdrawn(messageId)) return fail(230011, 'The message was withdrawn.');
    const r = s.store.resource(messageId, req.params.file_key ?? '');
    if (!r || (r.type !== undefined && r.type !== type)) return fail(234003, 'File not in msg.');
    const headers: Record<string, string> = { 'content-type': r.contentType, 'content-length': String(r.bytes.length) };
    if (r.fileName) headers['content-disposition'] = `attachment; filename="${encodeURIComponent(r.fileName)}"`;
    return { status: 200, bytes: r.bytes, headers };
  },
};

/** Routes that need no tenant token. */
export const UNAUTHENTICATED = new Set<RouteName>(['auth.tenantAccessToken', 'auth.appAccessToken', 'ws.endpoint']);
