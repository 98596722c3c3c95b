/**
 * Folds a turn's events (codex app-server v2, see `TurnEvent` in src/codex/turn-runner.ts) into
 * the {@link LiveView} a live element shows. Pure: no I/O, no clock.
 *
 * - Text: `item/agentMessage/delta` appends to the message being written; a delta (or an
 *   `agentMessage` item) with a new item id starts a new message (`textSeq` + 1) that replaces
 *   the old; `item/completed` of an agent message sets its whole text (codex's final word on it).
 * - Activity: the latest tool item that started and has not completed, in one line:
 *   `commandExecution` "running `cmd`", `fileChange` "editing a.ts, b.ts", `mcpToolCall`
 *   "calling `server.tool`", `webSearch` "searching the web for “q”", `reasoning` "thinking".
 *   Cleared when that item completes.
 * - Plan: `turn/plan/updated` replaces the plan.
 */
import type { LiveView } from '../../channels/live.js';
import type { ThreadItem } from '../../codex/protocol.js';
import type { TurnEvent } from '../../codex/turn-runner.js';

/** Longest command shown in an activity line, characters (longer ones end with "…"). */
export const MAX_ACTIVITY_COMMAND_CHARS = 80;
/** Files named in an editing line at most ("and N more" after). */
const MAX_FILES_NAMED = 3;

/** The view of a turn before any event. */
export const EMPTY_LIVE_VIEW: LiveView = { text: '', textSeq: 0, activity: null, plan: [] };

/** The fold state: the view plus what it needs to track items. */
export interface TurnViewState {
  view: LiveView;
  /** Id of the agent message `view.text` holds. */
  textItemId: string | null;
  /** Id of the item `view.activity` describes. */
  activityItemId: string | null;
}

export function initialTurnViewState(): TurnViewState {
  return { view: EMPTY_LIVE_VIEW, textItemId: null, activityItemId: null };
}

/** The state after `event`; returns `state` itself when nothing visible changed. */
export function applyTurnEvent(state: TurnViewState, event: TurnEvent): TurnViewState {
  switch (event.type) {
    case 'agentMessageDelta': {
      if (event.delta === '') return state;
      if (event.itemId === state.textItemId) return withView(state, { text: state.view.text + event.delta });
      return newMessage(state, event.itemId, event.delta);
    }
    case 'itemStarted': {
      const { item } = event;
      if (item.type === 'agentMessage') return item.id === state.textItemId ? state : newMessage(state, item.id, item.text);
      const activity = describeActivity(item);
      if (activity === null) return state;
      return { ...withView(state, { activity }), activityItemId: item.id };
    }
    case 'itemCompleted': {
      const { item } = event;
      if (item.type === 'agentMessage') {
        if (item.id !== state.textItemId) return newMessage(state, item.id, item.text);
        return item.text === state.view.text ? state : withView(state, { text: item.text });
      }
      if (item.id !== state.activityItemId) return state;
      return { ...withView(state, { activity: null }), activityItemId: null };
    }
    case 'planUpdated':
      return withView(state, { plan: event.plan.map((s) => ({ step: s.step, status: s.status })) });
  }
}

/** One line for a tool item that started, or null for items that are not activity. */
export function describeActivity(item: ThreadItem): string | null {
  switch (item.type) {
    case 'commandExecution':
      return `running ${inlineCode(shorten(item.command.replace(/\s+/g, ' ').trim(), MAX_ACTIVITY_COMMAND_CHARS))}`;
    case 'fileChange': {
      const names = item.changes.map((c) => c.path.split('/').pop() ?? c.path);
      if (names.length === 0) return 'editing files';
      const shown = names.slice(0, MAX_FILES_NAMED).join(', ');
      const more = names.length > MAX_FILES_NAMED ? ` and ${names.length - MAX_FILES_NAMED} more` : '';
      return `editing ${shown}${more}`;
    }
    case 'mcpToolCall':
      return `calling ${inlineCode(`${item.server}.${item.tool}`)}`;
    case 'webSearch':
      return item.query ? `searching the web for “${shorten(item.query, MAX_ACTIVITY_COMMAND_CHARS)}”` : 'searching the web';
    case 'reasoning':
      return 'thinking';
    default:
      return null;
  }
}

function newMessage(state: TurnViewState, itemId: string, text: string): TurnViewState {
  return { ...withView(state, { text, textSeq: state.view.textSeq + 1 }), textItemId: itemId };
}

function withView(state: TurnViewState, patch: Partial<LiveView>): TurnViewState {
  return { ...state, view: { ...state.view, ...patch } };
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Markdown inline code that survives backticks inside `text`. */
function inlineCode(text: string): string {
  const longestRun = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
