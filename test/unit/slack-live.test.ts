/** Pure parts of the Slack live answers: the persisted reference, task chunks, placeholder blocks. */
import { describe, expect, it } from 'vitest';
import { placeholderBlocks, SECTION_TEXT_LIMIT, STOP_ACTION_ID, taskChunks } from '../../src/channels/slack/outbound/live-blocks.js';
import { decodeLiveRef, encodeLiveRef } from '../../src/channels/slack/outbound/live-ref.js';

describe('Slack live reference', () => {
  it('round-trips mode, channel and ts; anything else is not a reference', () => {
    const ref = { mode: 'stream' as const, channel: 'C1', ts: '1.000001' };
    expect(decodeLiveRef(encodeLiveRef(ref))).toEqual(ref);
    expect(decodeLiveRef(encodeLiveRef({ ...ref, mode: 'update' }))).toEqual({ ...ref, mode: 'update' });
    for (const bad of ['', 'x', '{}', '{"v":1,"mode":"other","channel":"C","ts":"1"}', '{"v":1,"mode":"stream","channel":"","ts":"1"}', 'null']) {
      expect(decodeLiveRef(bad)).toBeNull();
    }
  });
});

describe('Slack live task chunks', () => {
  it('sends each plan step and the activity only when they change; an ended activity completes once', () => {
    const sent = new Map<string, string>();
    const plan = [{ step: 'a', status: 'pending' as const }];
    expect(taskChunks({ activity: 'thinking', plan }, sent)).toEqual([
      { type: 'task_update', id: 'plan-0', title: 'a', status: 'pending' },
      { type: 'task_update', id: 'activity', title: 'thinking', status: 'in_progress' },
    ]);
    expect(taskChunks({ activity: 'thinking', plan }, sent)).toEqual([]);
    expect(taskChunks({ activity: null, plan: [{ step: 'a', status: 'completed' }] }, sent)).toEqual([
      { type: 'task_update', id: 'plan-0', title: 'a', status: 'complete' },
      { type: 'task_update', id: 'activity', title: 'thinking', status: 'complete' },
    ]);
    expect(taskChunks({ activity: null, plan: [{ step: 'a', status: 'completed' }] }, sent)).toEqual([]);
  });
});

describe('Slack live placeholder blocks', () => {
  it('a section within the Block Kit limit (the tail of a long text), a status line, the Stop button', () => {
    const blocks = placeholderBlocks(
      { text: 'x'.repeat(10_000), textSeq: 1, activity: 'editing a.ts', plan: [{ step: 'fix', status: 'inProgress' }] },
      'stop-1',
    );
    const section = blocks[0] as { text: { text: string } };
    expect(section.text.text.length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
    expect(section.text.text.startsWith('…')).toBe(true);
    expect(JSON.stringify(blocks[1])).toContain('editing a.ts');
    expect(blocks[2]).toMatchObject({ type: 'actions', elements: [{ action_id: STOP_ACTION_ID, value: 'stop-1' }] });
    expect(placeholderBlocks({ text: '', textSeq: 0, activity: null, plan: [] }, 's')).toHaveLength(2);
  });
});
