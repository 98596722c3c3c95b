/**
 * The live Feishu card's parts (src/channels/feishu/outbound/card-stream.ts) and the card action
 * answer (src/channels/feishu/inbound/card-actions.ts) with the service's real ActionRegistry.
 */
import { describe, expect, it } from 'vitest';
import { createCardActionHandler } from '../../src/channels/feishu/inbound/card-actions.js';
import { ACTION_VALUE_KEY, finalCard, liveCard, STATUS_IDLE, statusMarkdown, summaryOf } from '../../src/channels/feishu/outbound/card-stream.js';
import { parseLiveRef } from '../../src/channels/feishu/outbound/live.js';
import { systemClock } from '../../src/clock.js';
import { ActionRegistry } from '../../src/dispatch/actions.js';
import { silentLogger } from '../../src/log.js';

describe('live Feishu card', () => {
  it('status: plan steps with their state, then the activity; idle text when neither', () => {
    expect(statusMarkdown({ activity: null, plan: [] })).toBe(STATUS_IDLE);
    expect(statusMarkdown({ activity: 'thinking', plan: [] })).toBe('_thinking_');
    expect(
      statusMarkdown({
        activity: null,
        plan: [
          { step: 'a', status: 'completed' },
          { step: 'b', status: 'pending' },
        ],
      }),
    ).toBe('✅ a\n◻️ b');
  });

  it('streaming card: JSON 2.0, streaming on, update_multi; the fallback card has no streaming mode', () => {
    const card = liveCard({ stopActionId: 'x', streaming: true }) as { schema: string; config: Record<string, unknown> };
    expect(card.schema).toBe('2.0');
    expect(card.config).toMatchObject({ streaming_mode: true, update_multi: true });
    const fallback = liveCard({ stopActionId: 'x', streaming: false }) as { config: Record<string, unknown> };
    expect(fallback.config.streaming_mode).toBeUndefined();
    expect(finalCard('done')).toMatchObject({ config: { streaming_mode: false, summary: { content: 'done' } } });
  });

  it('summary: one plain line of at most 100 characters', () => {
    expect(summaryOf('**Bold** and `code`\n\n```ts\nx\n```')).toBe('Bold and code x');
    expect(summaryOf('a'.repeat(300))).toHaveLength(100);
  });

  it('refs: card and message refs round-trip; anything else is not understood', () => {
    expect(parseLiveRef(JSON.stringify({ kind: 'card', cardId: '1', messageId: 'om_1' }))).toEqual({ kind: 'card', cardId: '1', messageId: 'om_1' });
    expect(parseLiveRef(JSON.stringify({ kind: 'message', messageId: 'om_1' }))).toEqual({ kind: 'message', messageId: 'om_1' });
    expect(parseLiveRef('nope')).toBeUndefined();
    expect(parseLiveRef('{"kind":"card"}')).toBeUndefined();
  });
});

describe('card.action.trigger answer', () => {
  const event = (actionId: unknown, openId = 'ou_sender', appId = 'cli_app') => ({
    app_id: appId,
    operator: { open_id: openId },
    action: { tag: 'button', value: { [ACTION_VALUE_KEY]: actionId } },
    context: { open_message_id: 'om_card', open_chat_id: 'oc_chat' },
  });

  it('answers before Feishu gives up when the action takes longer; other apps and foreign buttons get nothing', async () => {
    const logger = silentLogger();
    const actions = new ActionRegistry(logger);
    let release: () => void = () => undefined;
    const id = actions.issue({
      channelId: 'fs',
      conversation: 'oc_chat',
      allowedUserIds: ['ou_sender'],
      refusedText: 'no',
      staleText: 'stale',
      run: () => new Promise<string>((r) => (release = () => r('stopped'))),
    });
    const handle = createCardActionHandler({
      channelId: 'fs',
      appId: 'cli_app',
      handler: () => (e) => actions.press(e),
      clock: systemClock,
      logger,
      answerMs: 50,
    });
    expect(await handle(event(id))).toEqual({ toast: { type: 'info', content: 'Working on it…' } });
    release();
    expect(await handle(event(id))).toEqual({ toast: { type: 'info', content: 'stopped' } });
    expect(await handle(event(id, 'ou_other'))).toEqual({ toast: { type: 'warning', content: 'no' } });
    expect(await handle(event(id, 'ou_sender', 'cli_other'))).toEqual({});
    expect(await handle({ ...event(id), action: { tag: 'button', value: { something: 'else' } } })).toEqual({});
    expect(await handle(event('unknown'))).toMatchObject({ toast: { type: 'warning' } });
  });

  it('a channel that is not started answers with a warning toast', async () => {
    const handle = createCardActionHandler({ channelId: 'fs', appId: 'cli_app', handler: () => undefined, clock: systemClock, logger: silentLogger() });
    expect(await handle(event('x'))).toMatchObject({ toast: { type: 'warning' } });
  });
});
