/**
 * Markdown (as Codex and the dispatcher write it) → Slack mrkdwn, via slackify-markdown
 * (remark-based): `**b**` → `*b*`, headings → bold lines, `[t](u)` → `<u|t>`, lists → `•`,
 * fenced code kept as ``` blocks (language tag dropped), `&`/`<`/`>` in text escaped.
 * Slack fact (api.slack.com/reference/surfaces/formatting): mrkdwn has no headings or tables, and
 * `&`, `<`, `>` are control characters that must be escaped in text.
 */
import { mapOutsideFences } from '../../format/markdown-lines.js';
import slackify from 'slackify-markdown';

/** Opening/closing code fence line (CommonMark): up to 3 spaces, 3+ backticks or tildes. */

/**
 * A `<` that would start raw inline HTML (`Vec<String>`, `<div>`): remark passes HTML through
 * verbatim, and Slack would read it as a control sequence and swallow the text. Autolinks
 * (`<https://…>`) and Slack mention tokens (`<@U…>`, `<#C…>`) are left alone.
 */
const RAW_HTML_LT = /(`+)[^`]*?\1|<(?![A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>)(?=[A-Za-z/!?])/g;

/** Backslash-escapes raw-HTML `<` outside code (fenced blocks and inline code spans), so remark keeps it as text. */
export function escapeRawHtml(markdown: string): string {
  return mapOutsideFences(markdown, (line) => line.replace(RAW_HTML_LT, (match: string) => (match.startsWith('`') ? match : '\\<')));
}

/** Converts Markdown to mrkdwn; the result has no trailing newline. */
export function markdownToMrkdwn(markdown: string): string {
  return slackify(escapeRawHtml(markdown.replace(/\r\n?/g, '\n'))).trim();
}
