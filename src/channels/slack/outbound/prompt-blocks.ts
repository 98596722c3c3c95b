/**
 * Block Kit of a prompt message (PromptView, src/channels/prompt.ts). Limits from @slack/types 3.x
 * `block-kit/*.d.ts` and api.slack.com/reference/block-kit:
 * - the title: a `header` block, plain text ≤ 150 characters;
 * - the body: Markdown → mrkdwn (../format/mrkdwn.ts), in `section` blocks of ≤ 3,000 characters
 *   each, cut between paragraphs and never inside a code block (src/channels/format/split.ts);
 * - the answers: `button`s (text ≤ 75 characters, style `primary` / `danger` or none) in `actions`
 *   blocks of ≤ 25 elements. `action_id` must be unique within its block, so each button's is
 *   `switchboard_prompt_<index>` ({@link PROMPT_ACTION_ID}, what the Bolt listener matches) and its
 *   `value` is the opaque action id the service issued — what reaches `onAction`, as for Stop;
 * - the status: a last `context` block with one mrkdwn element (≤ 3,000 characters);
 * - a message holds ≤ 50 blocks: a body needing more sections keeps the first ones and ends with
 *   {@link CUT_NOTE}.
 * The message's `text` is the title: what notifications and clients without blocks show.
 */
import type { types } from '@slack/bolt';
import { splitMessage } from '../../format/split.js';
import type { PromptButton, PromptView } from '../../prompt.js';
import { markdownToMrkdwn } from '../format/mrkdwn.js';
import { SECTION_TEXT_LIMIT } from './live-blocks.js';

/** `action_id` of every prompt button (the press carries the issued action id as the button's `value`). */
export const PROMPT_ACTION_ID = /^switchboard_prompt_\d+$/;

/** Largest header text, characters. */
export const HEADER_TEXT_LIMIT = 150;
/** Largest button text, characters. */
export const BUTTON_TEXT_LIMIT = 75;
/** Most elements of one `actions` block. */
export const ACTIONS_PER_BLOCK = 25;
/** Most blocks of one message. */
export const MESSAGE_BLOCK_LIMIT = 50;

/** The last section of a body too long for one message. */
export const CUT_NOTE = '_… (cut: too long for one Slack message)_';

/** What chat.postMessage / chat.update carry for a prompt. */
export interface PromptContent {
  /** Fallback and notification text: the title. */
  text: string;
  blocks: types.KnownBlock[];
}

/** `text` cut to `limit` characters, ending in "…" when cut. */
function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function button(b: PromptButton, index: number): types.Button {
  return {
    type: 'button',
    action_id: `switchboard_prompt_${index}`,
    value: b.actionId,
    text: { type: 'plain_text', text: clip(b.label, BUTTON_TEXT_LIMIT), emoji: true },
    ...(b.style ? { style: b.style } : {}),
  };
}

/** The blocks and fallback text showing `view`. */
export function promptContent(view: PromptView): PromptContent {
  const title = view.title.trim();
  const head: types.KnownBlock[] = title === '' ? [] : [{ type: 'header', text: { type: 'plain_text', text: clip(title, HEADER_TEXT_LIMIT), emoji: true } }];

  const actions: types.KnownBlock[] = [];
  for (let i = 0; i < view.buttons.length; i += ACTIONS_PER_BLOCK) {
    const elements = view.buttons.slice(i, i + ACTIONS_PER_BLOCK).map((b, j) => button(b, i + j));
    actions.push({ type: 'actions', block_id: `switchboard_prompt_actions_${i / ACTIONS_PER_BLOCK}`, elements });
  }

  const status = view.status === null ? '' : markdownToMrkdwn(view.status);
  const tail: types.KnownBlock[] = status === '' ? [] : [{ type: 'context', elements: [{ type: 'mrkdwn', text: clip(status, SECTION_TEXT_LIMIT) }] }];

  const room = MESSAGE_BLOCK_LIMIT - head.length - actions.length - tail.length;
  let parts = splitMessage(markdownToMrkdwn(view.body), SECTION_TEXT_LIMIT);
  if (parts.length > room) parts = [...parts.slice(0, room - 1), CUT_NOTE];
  const body: types.KnownBlock[] = parts.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }));

  return { text: title, blocks: [...head, ...body, ...actions, ...tail] };
}
