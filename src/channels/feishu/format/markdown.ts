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

/** Opening/closing code fence line (CommonMark): up to 3 spaces, 3+ backticks or tildes. */
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const EMPTY_HEADING = /^ {0,3}#{1,6}[ \t]*$/;
/** Inline code spans (kept as they are) or an `<at` / `</at` tag opening. */
const AT_TAG = /(`+)[^`]*?\1|<(?=\/?at\b)/gi;

export function prepareMarkdown(markdown: string): string {
  let fence: string | null = null;
  return markdown
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => {
      const m = FENCE.exec(line);
      if (fence !== null) {
        if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length && line.trim() === m[1]) fence = null;
        return line;
      }
      if (m) {
        fence = m[1]!;
        return line;
      }
      if (EMPTY_HEADING.test(line)) return '';
      const h = HEADING.exec(line);
      const title = h?.[1]!.trim();
      const body = title === undefined ? line : /^\*\*.*\*\*$/.test(title) ? title : `**${title}**`;
      return body.replace(AT_TAG, (match: string) => (match.startsWith('`') ? match : '<\u200b'));
    })
    .join('\n');
}
