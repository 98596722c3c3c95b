/**
 * The visible mark of a reply's kind on chat platforms.
 */
import type { OutboundMessage } from '../types.js';

const ERROR_MARK = '⚠️ ';
const NOTICE_MARK = 'ℹ️ ';
const LEADING_EMOJI = /^\p{Extended_Pictographic}/u;

/** True when `text` opens with an emoji (the dispatcher's own texts do: ⚠️ ⏹️ ⏳). */
export function opensWithSymbol(text: string): boolean {
  return LEADING_EMOJI.test(text);
}

/**
 * Markdown with the kind's visible mark: the dispatcher's own error/notice texts already lead with
 * an emoji (⚠️ ⏹️ ⏳) and are kept; other errors get `⚠️ `, notices `ℹ️ `; answers stay as they are.
 */
export function markKind(message: Pick<OutboundMessage, 'kind' | 'text'>): string {
  const text = message.text.trim();
  if (text === '') return message.kind === 'answer' ? '(empty answer)' : '(no details)';
  if (message.kind === 'answer' || opensWithSymbol(text)) return text;
  return (message.kind === 'error' ? ERROR_MARK : NOTICE_MARK) + text;
}
