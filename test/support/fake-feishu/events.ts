/**
 * Builders for realistic schema 2.0 event bodies, chiefly `im.message.receive_v1`:
 *   {schema:'2.0', header:{event_id, event_type, create_time, token, app_id, tenant_key},
 *    event:{sender:{sender_id:{open_id, union_id, user_id}, sender_type:'user', tenant_key},
 *           message:{message_id, root_id?, parent_id?, thread_id?, create_time, update_time, chat_id,
 *                    chat_type, message_type, content (a JSON string), mentions?}}}
 * Text mentions are `@_user_N` placeholders in the text, keyed into `mentions`; in a post they are
 * `{tag:'at', user_id:'@_user_N', user_name}` elements. Received post content is not wrapped in a
 * locale (`{title, content:[[…]]}`).
 */
import { newEventId, newMessageId, newUnionId, newUserId } from './ids.js';

export interface EventContext {
  appId: string;
  tenantKey: string;
  /** Verification token put into `header.token`. */
  token: string;
  botOpenId: string;
  botName: string;
}

export const DEFAULT_EVENT_CONTEXT: EventContext = {
  appId: 'cli_0000000000000000',
  tenantKey: 'fake_tenant_key',
  token: 'fake-verification-token',
  botOpenId: 'ou_00000000000000000000000000000b07',
  botName: 'Switchboard',
};

export interface FeishuEvent {
  schema: '2.0';
  header: {
    event_id: string;
    event_type: string;
    create_time: string;
    token: string;
    app_id: string;
    tenant_key: string;
  };
  event: Record<string, any>;
}

export interface EnvelopeOptions {
  eventId?: string;
  createTime?: string;
}

/** Any schema 2.0 event. */
export function eventEnvelope(eventType: string, event: Record<string, unknown>, ctx: Partial<EventContext> = {}, o: EnvelopeOptions = {}): FeishuEvent {
  const c = { ...DEFAULT_EVENT_CONTEXT, ...ctx };
  return {
    schema: '2.0',
    header: {
      event_id: o.eventId ?? newEventId(),
      event_type: eventType,
      create_time: o.createTime ?? String(Date.now()),
      token: c.token,
      app_id: c.appId,
      tenant_key: c.tenantKey,
    },
    event,
  };
}

export interface MentionSpec {
  openId: string;
  name: string;
  userId?: string;
  unionId?: string;
}

export type PostElement = Record<string, unknown> & { tag: string };

export interface MessageReceiveInput {
  messageId?: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  senderOpenId: string;
  senderUserId?: string;
  senderUnionId?: string;
  /** Text message body; may contain `@_user_N` placeholders for `mentions`. */
  text?: string;
  /** Post (rich text) message body. */
  post?: { title?: string; content: PostElement[][] };
  image?: { imageKey: string };
  file?: { fileKey: string; fileName: string };
  /** Other users mentioned, keyed `@_user_N` in order (after the bot when mentionBot). */
  mentions?: MentionSpec[];
  /**
   * Mention the bot as `@_user_1` (default: true in groups, false in p2p). For text, "@_user_1 " is
   * prefixed unless the text already contains it; for a post an `at` element opens the first line.
   */
  mentionBot?: boolean;
  rootId?: string;
  parentId?: string;
  threadId?: string;
  eventId?: string;
  createTime?: string;
}

export interface BuiltMention {
  key: string;
  id: { open_id: string; union_id: string; user_id: string };
  name: string;
  tenant_key: string;
}

function messageContent(input: MessageReceiveInput, botKey: string | undefined, botName: string): { type: string; content: string } {
  if (input.post) {
    const lines = input.post.content.map((line) => [...line]);
    if (botKey) {
      const first = lines[0] ?? [];
      lines[0] = [{ tag: 'at', user_id: botKey, user_name: botName }, ...first];
    }
    return { type: 'post', content: JSON.stringify({ title: input.post.title ?? '', content: lines }) };
  }
  if (input.image) return { type: 'image', content: JSON.stringify({ image_key: input.image.imageKey }) };
  if (input.file) return { type: 'file', content: JSON.stringify({ file_key: input.file.fileKey, file_name: input.file.fileName }) };
  let text = input.text ?? '';
  if (botKey && !text.includes(botKey)) text = `${botKey} ${text}`;
  return { type: 'text', content: JSON.stringify({ text }) };
}

/** An `im.message.receive_v1` body. */
export function messageReceive(input: MessageReceiveInput, ctx: Partial<EventContext> = {}): FeishuEvent {
  const c = { ...DEFAULT_EVENT_CONTEXT, ...ctx };
  const mentionBot = input.mentionBot ?? input.chatType === 'group';
  const people: MentionSpec[] = [...(mentionBot ? [{ openId: c.botOpenId, name: c.botName, userId: '', unionId: '' }] : []), ...(input.mentions ?? [])];
  const mentions: BuiltMention[] = people.map((p, i) => ({
    key: `@_user_${i + 1}`,
    id: { open_id: p.openId, union_id: p.unionId ?? newUnionId(), user_id: p.userId ?? newUserId() },
    name: p.name,
    tenant_key: c.tenantKey,
  }));
  const { type, content } = messageContent(input, mentionBot ? '@_user_1' : undefined, c.botName);
  const createTime = input.createTime ?? String(Date.now());
  const message: Record<string, unknown> = {
    message_id: input.messageId ?? newMessageId(),
    ...(input.rootId ? { root_id: input.rootId } : {}),
    ...((input.parentId ?? input.rootId) ? { parent_id: input.parentId ?? input.rootId } : {}),
    ...(input.threadId ? { thread_id: input.threadId } : {}),
    create_time: createTime,
    update_time: createTime,
    chat_id: input.chatId,
    chat_type: input.chatType,
    message_type: type,
    content,
    ...(mentions.length > 0 ? { mentions } : {}),
    user_agent: 'Mozilla/5.0 (fake) Feishu/7.0',
  };
  return eventEnvelope(
    'im.message.receive_v1',
    {
      sender: {
        sender_id: {
          open_id: input.senderOpenId,
          union_id: input.senderUnionId ?? newUnionId(),
          user_id: input.senderUserId ?? newUserId(),
        },
        sender_type: 'user',
        tenant_key: c.tenantKey,
      },
      message,
    },
    c,
    { ...(input.eventId ? { eventId: input.eventId } : {}), createTime },
  );
}
