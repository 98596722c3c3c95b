/**
 * Block Kit and streaming chunks of a live answer (api.slack.com/reference/block-kit; chunk shapes
 * from @slack/types 2.x `chunk.d.ts` and docs.slack.dev/reference/methods/chat.appendStream):
 * - the Stop button: an `actions` block holding one `button` whose `action_id` is
 *   {@link STOP_ACTION_ID} (what the Bolt listener matches) and whose `value` is the opaque stop id
 *   the service issued (what reaches `onAction`);
 * - the placeholder message of the `chat.update` fallback: a section with the answer so far
 *   (section text ≤ 3,000 characters), a context line with the activity and plan, the Stop button;
 * - `task_update` chunks for the activity and the plan steps (status `pending` | `in_progress` |
 *   `complete` | `error`).
 */
import type { LivePlanStep, LiveView } from '../../live.js';
import { markdownToMrkdwn } from '../format/mrkdwn.js';

/** `action_id` of every Stop button; the press carries the turn's stop id as the button's `value`. */
export const STOP_ACTION_ID = 'switchboard_stop';

/** Largest `text` of a section block, characters (Block Kit limit). */
export const SECTION_TEXT_LIMIT = 3_000;

export type SlackBlock = Record<string, unknown>;

export interface TaskUpdateChunk {
  type: 'task_update';
  id: string;
  title: string;
  status: 'pending' | 'in_progress' | 'complete' | 'error';
}

/** The `actions` block with the Stop button for `stopActionId`. */
export function stopButtonBlock(stopActionId: string): SlackBlock {
  return {
    type: 'actions',
    block_id: 'switchboard_live_actions',
    elements: [{ type: 'button', action_id: STOP_ACTION_ID, value: stopActionId, style: 'danger', text: { type: 'plain_text', text: 'Stop', emoji: true } }],
  };
}

const STEP_MARK: Record<LivePlanStep['status'], string> = { pending: '◻️', inProgress: '▶️', completed: '✅' };

/** One mrkdwn line per plan step and the activity, or '' when there is neither. */
export function statusLines(view: Pick<LiveView, 'activity' | 'plan'>): string {
  const lines = view.plan.map((s) => `${STEP_MARK[s.status]} ${markdownToMrkdwn(s.step)}`);
  if (view.activity) lines.push(`⏳ ${markdownToMrkdwn(view.activity)}…`);
  return lines.join('\n');
}

/** Text shown while nothing was written yet. */
export const WORKING_TEXT = '_working…_';

/** The mrkdwn of `markdown` that fits a section: its tail after "…" when too long. */
export function sectionText(markdown: string): string {
  const mrkdwn = markdown.trim() === '' ? WORKING_TEXT : markdownToMrkdwn(markdown);
  return mrkdwn.length <= SECTION_TEXT_LIMIT ? mrkdwn : `…${mrkdwn.slice(mrkdwn.length - SECTION_TEXT_LIMIT + 1)}`;
}

/** Blocks of the fallback placeholder message showing `view`, with the Stop button. */
export function placeholderBlocks(view: LiveView, stopActionId: string): SlackBlock[] {
  const blocks: SlackBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: sectionText(view.text) } }];
  const status = statusLines(view);
  if (status !== '') blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: status.slice(0, SECTION_TEXT_LIMIT) }] });
  blocks.push(stopButtonBlock(stopActionId));
  return blocks;
}

const TASK_STATUS: Record<LivePlanStep['status'], TaskUpdateChunk['status']> = { pending: 'pending', inProgress: 'in_progress', completed: 'complete' };

/** Task id of the activity line (one task, updated in place). */
export const ACTIVITY_TASK_ID = 'activity';

/**
 * The `task_update` chunks `view` needs beyond what `sent` (task id → last title/status sent) holds;
 * records what it returns in `sent`. The activity is one task updated in place: its title is the
 * current activity, `complete` once idle; plan steps are tasks `plan-<index>`.
 */
export function taskChunks(view: Pick<LiveView, 'activity' | 'plan'>, sent: Map<string, string>): TaskUpdateChunk[] {
  const wanted: TaskUpdateChunk[] = view.plan.map((s, i) => ({
    type: 'task_update',
    id: `plan-${i}`,
    title: s.step.slice(0, 256),
    status: TASK_STATUS[s.status],
  }));
  const lastActivity = sent.get(ACTIVITY_TASK_ID);
  if (view.activity) wanted.push({ type: 'task_update', id: ACTIVITY_TASK_ID, title: view.activity.slice(0, 256), status: 'in_progress' });
  else if (lastActivity !== undefined && !lastActivity.endsWith('\u0000complete')) {
    wanted.push({ type: 'task_update', id: ACTIVITY_TASK_ID, title: lastActivity.split('\u0000')[0] ?? '', status: 'complete' });
  }
  const out: TaskUpdateChunk[] = [];
  for (const c of wanted) {
    const key = `${c.title}\u0000${c.status}`;
    if (sent.get(c.id) === key) continue;
    sent.set(c.id, key);
    out.push(c);
  }
  return out;
}
