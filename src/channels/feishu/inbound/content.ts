/**
 * Message content (the JSON string of `im.message.receive_v1` `message.content`) → the text the
 * agent sees. Pure: images and files become PendingAttachments marked by a slot in the text
 * (../../attachments.ts), which the dispatcher fills with the downloaded paths after the event was
 * acknowledged. Slot marks a user typed are removed from every text field.
 *
 * Feishu facts (open.feishu.cn "接收消息 content 说明"; the fake's builders in
 * test/support/fake-feishu/events.ts follow them):
 * - text: `{"text": "@_user_1 hello"}`; `@_user_N` are keys into `message.mentions`
 *   (`{key, id: {open_id, union_id, user_id}, name}`); `@_all` is @everyone.
 * - post (rich text): `{title, content: [[element, …], …]}` (received posts are not wrapped in a
 *   locale; sent ones are — both are read); elements `text {text}`, `a {text, href}`,
 *   `at {user_id: '@_user_N', user_name}`, `img {image_key}`, `media {file_key}`,
 *   `emotion {emoji_type}`, `code_block {language, text}`, `hr`, `md {text}`.
 * - image: `{"image_key"}`; file: `{"file_key", "file_name"}`.
 *
 * Mentions: the bot's own mention is removed (the spaces around it collapse); other people become
 * `@name`; `@_all` becomes `@all`.
 */
import { attachmentSlot, stripSlotMarks, type PendingAttachment } from '../../attachments.js';

/** A mention of `message.mentions`. */
export interface FeishuMention {
  key?: string;
  id?: { open_id?: string; user_id?: string; union_id?: string } | string;
  name?: string;
}

export interface RenderedContent {
  /** The text; attachment `i` appears as `attachmentSlot(i)`. */
  text: string;
  attachments: PendingAttachment[];
  /** The message type is not one we render (the text is a short note saying so). */
  unsupported?: boolean;
}

/** What the bot's own mention becomes before whitespace is collapsed. */
const REMOVED = '\uE000';

export function openIdOf(m: FeishuMention): string | undefined {
  return typeof m.id === 'string' ? m.id : m.id?.open_id;
}

/** True when `mentions` contains the bot. */
export function mentionsOpenId(mentions: readonly FeishuMention[] | undefined, botOpenId: string): boolean {
  return (mentions ?? []).some((m) => openIdOf(m) === botOpenId);
}

/** Replaces `@_user_N` / `@_all` placeholders in a text: the bot's removed, others `@name`. */
export function replaceMentionKeys(text: string, mentions: readonly FeishuMention[] | undefined, botOpenId: string): string {
  const byKey = new Map<string, FeishuMention>();
  for (const m of mentions ?? []) if (m.key) byKey.set(m.key, m);
  return text.replace(/@_user_\d+|@_all/g, (key) => {
    if (key === '@_all') return '@all';
    const m = byKey.get(key);
    if (!m) return key;
    return mentionText(m, botOpenId);
  });
}

function mentionText(m: FeishuMention, botOpenId: string): string {
  if (openIdOf(m) === botOpenId) return REMOVED;
  return `@${m.name || openIdOf(m) || 'someone'}`;
}

/** Removes the bot-mention markers and the space they leave, then trims. */
export function collapseRemoved(text: string): string {
  return text
    .replace(/(^|\n)[ \t]*\uE000[ \t]*/g, '$1')
    .replace(/[ \t]*\uE000[ \t]*(?=\n|$)/g, '')
    .replace(/[ \t]*\uE000[ \t]*/g, ' ')
    .trim();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? stripSlotMarks(v) : '');

/**
 * Renders one message's content. `messageType` is `message.message_type`; `content` the JSON string.
 * Unknown types (and unparsable content) give a short note instead of throwing.
 */
export function renderContent(messageType: string, content: string, mentions: readonly FeishuMention[] | undefined, botOpenId: string): RenderedContent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    parsed = undefined;
  }
  const body = isObject(parsed) ? parsed : {};
  switch (messageType) {
    case 'text':
      return { text: collapseRemoved(replaceMentionKeys(str(body.text), mentions, botOpenId)), attachments: [] };
    case 'post':
      return renderPost(body, mentions, botOpenId);
    case 'image': {
      const key = str(body.image_key);
      if (!key) return { text: '[an image without an image_key]', attachments: [] };
      return { text: attachmentSlot(0), attachments: [{ kind: 'image', key }] };
    }
    case 'file': {
      const key = str(body.file_key);
      if (!key) return { text: '[a file without a file_key]', attachments: [] };
      const name = str(body.file_name);
      return { text: attachmentSlot(0), attachments: [{ kind: 'file', key, ...(name ? { name } : {}) }] };
    }
    default:
      return { text: unsupportedText(messageType), attachments: [], unsupported: true };
  }
}

/** The note the agent gets for a message type we do not render. */
export function unsupportedText(messageType: string): string {
  return `[unsupported Feishu message type "${messageType || 'unknown'}": its content is not available to the agent]`;
}

/** Rich text → lines of text; links as `[text](href)`, code blocks fenced, images as resource slots. */
export function renderPost(body: Record<string, unknown>, mentions: readonly FeishuMention[] | undefined, botOpenId: string): RenderedContent {
  // Received posts are `{title, content}`; sent ones `{zh_cn: {title, content}, …}`: take the first locale.
  const post = Array.isArray(body.content)
    ? body
    : ((Object.values(body).find((v) => isObject(v) && Array.isArray(v.content)) as Record<string, unknown> | undefined) ?? {});
  const byKey = new Map<string, FeishuMention>();
  for (const m of mentions ?? []) if (m.key) byKey.set(m.key, m);
  const attachments: PendingAttachment[] = [];
  const slot = (a: PendingAttachment): string => {
    attachments.push(a);
    return attachmentSlot(attachments.length - 1);
  };

  const renderElement = (el: Record<string, unknown>): string => {
    switch (el.tag) {
      case 'text':
        return str(el.text);
      case 'a': {
        const href = str(el.href);
        const text = str(el.text);
        if (!href) return text;
        return text === '' || text === href ? href : `[${text}](${href})`;
      }
      case 'at': {
        const id = str(el.user_id);
        if (id === 'all' || id === '@_all') return '@all';
        const m = byKey.get(id);
        if (m) return mentionText(m, botOpenId);
        if (id === botOpenId) return REMOVED;
        return `@${str(el.user_name) || id || 'someone'}`;
      }
      case 'img': {
        const key = str(el.image_key);
        return key ? slot({ kind: 'image', key }) : '';
      }
      case 'media':
        return '[video attachment: not downloaded]';
      case 'emotion':
        return `:${str(el.emoji_type)}:`;
      case 'code_block': {
        const code = str(el.text).replace(/\n$/, '');
        return `\`\`\`${str(el.language).toLowerCase()}\n${code}\n\`\`\``;
      }
      case 'hr':
        return '---';
      case 'md':
        return replaceMentionKeys(str(el.text), mentions, botOpenId);
      default:
        return str(el.text);
    }
  };

  const lines: string[] = [];
  const title = str(post.title).trim();
  if (title) lines.push(title, '');
  for (const paragraph of Array.isArray(post.content) ? post.content : []) {
    if (!Array.isArray(paragraph)) continue;
    const elements = paragraph.filter(isObject);
    // Block elements (code blocks, rules) sit on lines of their own even when Feishu put text beside them.
    lines.push(
      elements
        .map((el, i) => {
          const text = renderElement(el);
          if (el.tag !== 'code_block' && el.tag !== 'hr') return text;
          return `${i > 0 ? '\n' : ''}${text}${i < elements.length - 1 ? '\n' : ''}`;
        })
        .join(''),
    );
  }
  const text = collapseRemoved(lines.join('\n'));
  return { text, attachments };
}
