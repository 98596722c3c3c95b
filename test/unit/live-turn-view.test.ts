/**
 * The fold of codex turn events into a live view (src/dispatch/live/turn-view.ts), with event
 * shapes as codex app-server 0.171 sends them.
 */
import { describe, expect, it } from 'vitest';
import type { ThreadItem } from '../../src/codex/protocol.js';
import type { TurnEvent } from '../../src/codex/turn-runner.js';
import { applyTurnEvent, describeActivity, initialTurnViewState, type TurnViewState } from '../../src/dispatch/live/turn-view.js';

function fold(events: TurnEvent[]): TurnViewState {
  return events.reduce(applyTurnEvent, initialTurnViewState());
}

const agent = (id: string, text: string): ThreadItem => ({ type: 'agentMessage', id, text });
const command = (id: string, cmd: string, status: 'inProgress' | 'completed' = 'inProgress'): ThreadItem => ({
  type: 'commandExecution',
  id,
  command: cmd,
  status,
});

describe('turn view', () => {
  it('appends the deltas of one agent message, and its completed item has the last word', () => {
    const s = fold([
      { type: 'itemStarted', item: agent('m1', '') },
      { type: 'agentMessageDelta', itemId: 'm1', delta: 'Hel' },
      { type: 'agentMessageDelta', itemId: 'm1', delta: 'lo' },
    ]);
    expect(s.view).toMatchObject({ text: 'Hello', textSeq: 1 });
    expect(applyTurnEvent(s, { type: 'itemCompleted', item: agent('m1', 'Hello!') }).view.text).toBe('Hello!');
  });

  it('a second agent message replaces the first and counts up textSeq', () => {
    const s = fold([
      { type: 'agentMessageDelta', itemId: 'm1', delta: 'Let me look.' },
      { type: 'itemCompleted', item: agent('m1', 'Let me look.') },
      { type: 'agentMessageDelta', itemId: 'm2', delta: 'Done' },
    ]);
    expect(s.view).toMatchObject({ text: 'Done', textSeq: 2 });
  });

  it('shows the running command and clears it when it completes', () => {
    const running = fold([{ type: 'itemStarted', item: command('c1', 'npm   test') }]);
    expect(running.view.activity).toBe('running `npm test`');
    const other = applyTurnEvent(running, { type: 'itemCompleted', item: command('c0', 'ls') });
    expect(other, 'completion of another item changes nothing').toBe(running);
    expect(applyTurnEvent(running, { type: 'itemCompleted', item: command('c1', 'npm test', 'completed') }).view.activity).toBeNull();
  });

  it('replaces the plan as a whole', () => {
    const s = fold([
      {
        type: 'planUpdated',
        plan: [
          { step: 'read', status: 'inProgress' },
          { step: 'fix', status: 'pending' },
        ],
        explanation: null,
      },
      {
        type: 'planUpdated',
        plan: [
          { step: 'read', status: 'completed' },
          { step: 'fix', status: 'inProgress' },
        ],
        explanation: null,
      },
    ]);
    expect(s.view.plan).toEqual([
      { step: 'read', status: 'completed' },
      { step: 'fix', status: 'inProgress' },
    ]);
  });

  it('returns the same state when nothing visible changed', () => {
    const s = fold([{ type: 'agentMessageDelta', itemId: 'm1', delta: 'x' }]);
    expect(applyTurnEvent(s, { type: 'agentMessageDelta', itemId: 'm1', delta: '' })).toBe(s);
    expect(applyTurnEvent(s, { type: 'itemCompleted', item: agent('m1', 'x') })).toBe(s);
    expect(applyTurnEvent(s, { type: 'itemStarted', item: { type: 'userMessage', id: 'u1' } })).toBe(s);
  });

  it('describes each kind of tool item in one line', () => {
    expect(
      describeActivity({
        type: 'fileChange',
        id: 'f',
        status: 'inProgress',
        changes: ['src/a.ts', 'src/b.ts', 'c.md', 'd.md'].map((path) => ({ path, kind: { type: 'update' }, diff: '' })),
      }),
    ).toBe('editing a.ts, b.ts, c.md and 1 more');
    expect(describeActivity({ type: 'mcpToolCall', id: 'm', server: 'switchboard', tool: 'ask', status: 'inProgress' })).toBe('calling `switchboard.ask`');
    expect(describeActivity({ type: 'webSearch', id: 'w', query: 'codex app-server' })).toBe('searching the web for “codex app-server”');
    expect(describeActivity({ type: 'webSearch', id: 'w', query: '' })).toBe('searching the web');
    expect(describeActivity({ type: 'reasoning', id: 'r' })).toBe('thinking');
    // CommonMark: a longer fence around text with backticks, padded when the text ends in one.
    expect(describeActivity(command('c', 'echo `date`'))).toBe('running `` echo `date` ``');
  });

  it('cuts a long command to a bounded line', () => {
    const line = describeActivity(command('c', `node -e "${'x'.repeat(500)}"`));
    expect(line!.length).toBeLessThan(100);
    expect(line).toContain('…');
  });
});
