/**
 * Outbound rendering: an OutboundMessage (Markdown) → the `post` contents of the replies that carry
 * it, in order.
 *
 * Why a `post` with one `md` element rather than an interactive card: a post is an ordinary chat
 * message — searchable, quotable, forwardable, copyable, shown as text in notifications and chat
 * previews, and it threads like any reply — and its `md` element takes Codex's Markdown nearly as is
 * (code blocks with their language, lists, quotes, links, emphasis). A card would add a frame and
 * colours we do not need, cannot be edited as text, and is harder to copy code from. What a post's
 * `md` does not render (headings, `<at>` tags we must not let through) is adapted in ./markdown.ts.
 *
 * Content: `{"zh_cn": {"content": [[{"tag": "md", "text": …}]]}}` (one locale is shown to every
 * user). Limits: Feishu refuses post/card request bodies over 30 KB (text: 150 KB). The Markdown is
 * split at paragraph/line boundaries and never inside a code block (../../format/split.ts) into
 * parts of at most {@link FEISHU_PART_CHARS} characters, and each part's whole request body — the
 * content JSON string escaped once more inside the body JSON — is measured; a part over
 * {@link FEISHU_BODY_LIMIT} bytes (CJK text, many quotes/backslashes) is split further.
 */
import { markKind } from '../../format/mark-kind.js';
import { splitMessage } from '../../format/split.js';
import type { OutboundMessage } from '../../types.js';
import { replyBody } from '../api/messages.js';
import { prepareMarkdown } from './markdown.js';

/** Characters per part before measuring (readability: a long answer comes as a few messages). */
export const FEISHU_PART_CHARS = 8_000;
/** Largest request body per reply, bytes: under Feishu's 30 KB with room to spare. */
export const FEISHU_BODY_LIMIT = 28 * 1024;
/** Locale key of the post content. */
const POST_LOCALE = 'zh_cn';

/** The `post` content JSON string for one Markdown part. */
export function postContent(markdown: string): string {
  return JSON.stringify({ [POST_LOCALE]: { content: [[{ tag: 'md', text: markdown }]] } });
}

/** Bytes of the reply request body carrying `content` (worst case: in a thread, longest uuid). */
export function replyBodyBytes(content: string): number {
  return Buffer.byteLength(JSON.stringify(replyBody({ msgType: 'post', content, inThread: true, uuid: 'u'.repeat(50) })), 'utf8');
}

export interface PartLimits {
  chars?: number;
  bodyBytes?: number;
}

/** The Markdown parts of `message` (kind-marked, adapted for `md`, split to fit), at least one. */
export function renderMarkdownParts(message: Pick<OutboundMessage, 'kind' | 'text'>, limits: PartLimits = {}): string[] {
  const markdown = prepareMarkdown(markKind(message));
  const parts = fit(markdown, limits.chars ?? FEISHU_PART_CHARS, limits.bodyBytes ?? FEISHU_BODY_LIMIT);
  return parts.length > 0 ? parts : [markKind({ kind: message.kind, text: '' })];
}

/** The post contents to send for `message`, in order (at least one). */
export function renderPostParts(message: Pick<OutboundMessage, 'kind' | 'text'>, limits: PartLimits = {}): string[] {
  return renderMarkdownParts(message, limits).map(postContent);
}

function fit(markdown: string, chars: number, bodyBytes: number): string[] {
  const out: string[] = [];
  for (const part of splitMessage(markdown, chars)) {
    const size = replyBodyBytes(postContent(part));
    if (size <= bodyBytes || part.length <= 16) {
      out.push(part);
      continue;
    }
    // Shrink in proportion to the overshoot (with a margin); always strictly smaller, never below the splitter's minimum.
    const smaller = Math.max(16, Math.min(part.length - 1, Math.floor((part.length * bodyBytes * 0.9) / size)));
    out.push(...fit(part, smaller, bodyBytes));
  }
  return out;
}
