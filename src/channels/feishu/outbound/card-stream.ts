/**
 * The card a live Feishu answer is shown in (card JSON 2.0), while it runs and once it ended.
 *
 * Layout while running: the answer (a `markdown` element, id {@link ANSWER_ELEMENT}), a status line
 * (a small `markdown` element, id {@link STATUS_ELEMENT}: the plan's steps with their state, then
 * what the agent does now) and a Stop button (id {@link STOP_ELEMENT}) whose callback value carries
 * the turn's Stop action id under {@link ACTION_VALUE_KEY}. Once ended: the answer element only, with
 * the final text — the same Markdown part the non-streaming `send()` posts first (../format/post.ts).
 *
 * Card JSON 2.0 facts (open.feishu.cn "卡片 JSON 2.0 结构", "流式更新卡片", button component):
 * `{schema: "2.0", config: {streaming_mode, update_multi, summary: {content}, streaming_config:
 * {print_frequency_ms: {default}, print_step: {default}, print_strategy}}, body: {elements: […]}}`;
 * `element_id` is unique per card (≤ 20 characters, a letter first); a button's
 * `behaviors: [{type: "callback", value: {…}}]` sends `card.action.trigger` with `action.value`.
 * The chat preview shows `config.summary.content` ("[生成中...]" while streaming when unset).
 */
import type { LivePlanStep, LiveView } from '../../live.js';
import type { CardJson } from '../api/cardkit.js';

export const ANSWER_ELEMENT = 'answer';
export const STATUS_ELEMENT = 'status';
export const STOP_ELEMENT = 'stop_button';
/** Key of the Stop action id in the button's callback value. */
export const ACTION_VALUE_KEY = 'switchboard_action';
/** Shown in the answer element before the agent writes (the streaming API needs some content). */
export const ANSWER_PLACEHOLDER = '…';
/** Shown in the status element when the agent published no plan and does nothing visible. */
export const STATUS_IDLE = '_Working…_';
/** Typewriter pace the client uses between our updates (default 70 ms / 1 char; we print faster). */
const STREAMING_CONFIG = { print_frequency_ms: { default: 30 }, print_step: { default: 2 }, print_strategy: 'fast' };
/** Longest chat-preview summary, characters. */
const SUMMARY_CHARS = 100;

const STEP_MARK: Record<LivePlanStep['status'], string> = { completed: '✅', inProgress: '▶️', pending: '◻️' };

/** The status element's Markdown for `view` (plan steps, then the activity line). */
export function statusMarkdown(view: Pick<LiveView, 'activity' | 'plan'>): string {
  const lines = view.plan.map((s) => `${STEP_MARK[s.status]} ${s.step}`);
  if (view.activity !== null && view.activity !== '') lines.push(`_${view.activity}_`);
  return lines.length > 0 ? lines.join('\n') : STATUS_IDLE;
}

/** What the answer element shows for `text` while streaming. */
export function answerMarkdown(text: string): string {
  return text === '' ? ANSWER_PLACEHOLDER : text;
}

function stopButton(stopActionId: string): CardJson {
  return {
    tag: 'button',
    element_id: STOP_ELEMENT,
    text: { tag: 'plain_text', content: 'Stop' },
    type: 'danger',
    size: 'small',
    behaviors: [{ type: 'callback', value: { [ACTION_VALUE_KEY]: stopActionId } }],
  };
}

function statusElement(content: string): CardJson {
  return { tag: 'markdown', element_id: STATUS_ELEMENT, content, text_size: 'notation' };
}

/** The card of a running turn; `streaming` false for the edited-message fallback (no CardKit). */
export function liveCard(opts: { stopActionId: string; streaming: boolean; view?: LiveView }): CardJson {
  const view = opts.view ?? { text: '', textSeq: 0, activity: null, plan: [] };
  return {
    schema: '2.0',
    config: {
      update_multi: true,
      ...(opts.streaming ? { streaming_mode: true, streaming_config: STREAMING_CONFIG } : { summary: { content: summaryOf(view.text || STATUS_IDLE) } }),
    },
    body: {
      elements: [
        { tag: 'markdown', element_id: ANSWER_ELEMENT, content: answerMarkdown(view.text) },
        statusElement(statusMarkdown(view)),
        stopButton(opts.stopActionId),
      ],
    },
  };
}

/** The settled card: the final Markdown only, streaming off, the preview showing its start. */
export function finalCard(markdown: string, note?: string): CardJson {
  const elements: CardJson[] = [{ tag: 'markdown', element_id: ANSWER_ELEMENT, content: markdown }];
  if (note !== undefined) elements.push(statusElement(note));
  return { schema: '2.0', config: { update_multi: true, streaming_mode: false, summary: { content: summaryOf(markdown) } }, body: { elements } };
}

/** The settings that end streaming and set the chat preview to the start of `markdown`. */
export function endStreamingSettings(markdown: string): CardJson {
  return { config: { streaming_mode: false, summary: { content: summaryOf(markdown) } } };
}

/** A plain one-line preview of `markdown`: Markdown marks dropped, at most {@link SUMMARY_CHARS}. */
export function summaryOf(markdown: string): string {
  const line = markdown
    .replace(/```[^\n]*\n?/g, '')
    .replace(/[*_`>#~]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > SUMMARY_CHARS ? `${line.slice(0, SUMMARY_CHARS - 1)}…` : line;
}

/** The status element replaced by a note (abandon). */
export function noteElement(note: string): CardJson {
  return statusElement(note);
}
