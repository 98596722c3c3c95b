/**
 * Markdown as Codex writes it → Markdown the `md` element of a Feishu `post` renders well.
 *
 * Feishu facts (open.feishu.cn "发送消息内容" → 富文本 post → `md` tag): the element renders bold,
 * italics, strikethrough, links, ordered/unordered lists, fenced code blocks (language kept), block
 * quotes, `---` rules and `<at user_id="…"></at>` mentions; headings and tables are not rendered.
 * So, outside code (fenced blocks and inline code spans):
 * - ATX headings (`# Title`) become bold lines (`**Title**`);
 * - `<at` tags are defused with a zero-width space after `<`, so an answer can never @-mention
 *   people (or everyone) by itself;
 * everything else passes through unchanged (tables stay readable as pipes).
 */
import { mapOutsideFences } from '../../format/markdown-lines.js';

/** An ATX heading line; group 1 is its title. */
const HEADING = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const EMPTY_HEADING = /^ {0,3}#{1,6}[ \t]*$/;
/** Inline code spans (kept as they are) or an `<at` / `</at` tag opening. */
const AT_TAG = /(`+)[^`]*?\1|<(?=\/?at\b)/gi;

export function prepareMarkdown(markdown: string): string {
  return mapOutsideFences(markdown.replace(/\r\n?/g, '\n'), (line) => {
    if (EMPTY_HEADING.test(line)) return '';
    const h = HEADING.exec(line);
    const title = h ? h[1]!.trim() : undefined;
    const body = title === undefined ? line : /^\*\*.*\*\*$/.test(title) ? title : `**${title}**`;
    return body.replace(AT_TAG, (match: string) => (match.startsWith('`') ? match : '<\u200b'));
  });
}
