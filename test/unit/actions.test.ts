/**
 * ActionRegistry (src/dispatch/actions.ts): opaque ids, who may press, once per id, stale after
 * the turn ended, and ids from another channel or conversation refused.
 */
import { describe, expect, it } from 'vitest';
import type { ActionEvent } from '../../src/channels/live.js';
import { ActionRegistry, UNKNOWN_ACTION_TEXT, type ActionSpec } from '../../src/dispatch/actions.js';
import { createLogger } from '../../src/log.js';

const logger = createLogger('silent');

function spec(run: () => Promise<string>, extra: Partial<ActionSpec> = {}): ActionSpec {
  return {
    channelId: 'slack-main',
    conversation: 'C1',
    allowedUserIds: ['U-sender', 'U-admin'],
    refusedText: 'Only the sender or an admin can stop this.',
    staleText: 'Already finished.',
    run,
    ...extra,
  };
}
const press = (actionId: string, user = 'U-sender', over: Partial<ActionEvent> = {}): ActionEvent => ({
  channelId: 'slack-main',
  conversation: 'C1',
  actionId,
  user: { id: user },
  ...over,
});

describe('ActionRegistry', () => {
  it('issues unguessable ids and runs the action for an allowed presser', async () => {
    const reg = new ActionRegistry(logger);
    const a = reg.issue(spec(async () => 'Stopping.'));
    const b = reg.issue(spec(async () => 'x'));
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a).not.toBe(b);
    await expect(reg.press(press(a, 'U-admin'))).resolves.toEqual({ status: 'done', text: 'Stopping.' });
  });

  it('refuses others, and acts once however often it is pressed', async () => {
    const reg = new ActionRegistry(logger);
    let runs = 0;
    let release!: () => void;
    const id = reg.issue(
      spec(
        () =>
          new Promise((r) => {
            runs++;
            release = () => r('Stopped.');
          }),
      ),
    );
    await expect(reg.press(press(id, 'U-other'))).resolves.toEqual({ status: 'refused', text: 'Only the sender or an admin can stop this.' });
    const first = reg.press(press(id));
    const second = reg.press(press(id));
    release();
    await expect(first).resolves.toEqual({ status: 'done', text: 'Stopped.' });
    await expect(second).resolves.toEqual({ status: 'done', text: 'Stopped.' });
    expect(runs).toBe(1);
  });

  it('answers stale after retire, for unknown ids, and for a press from another conversation', async () => {
    const reg = new ActionRegistry(logger);
    let runs = 0;
    const id = reg.issue(
      spec(async () => {
        runs++;
        return 'x';
      }),
    );
    await expect(reg.press(press(id, 'U-sender', { conversation: 'C2' }))).resolves.toEqual({ status: 'stale', text: UNKNOWN_ACTION_TEXT });
    await expect(reg.press(press(id, 'U-sender', { channelId: 'feishu' }))).resolves.toEqual({ status: 'stale', text: UNKNOWN_ACTION_TEXT });
    reg.retire(id);
    await expect(reg.press(press(id))).resolves.toEqual({ status: 'stale', text: 'Already finished.' });
    await expect(reg.press(press('nope'))).resolves.toEqual({ status: 'stale', text: UNKNOWN_ACTION_TEXT });
    expect(runs).toBe(0);
  });

  it('lets everyone press where everyone is admin, and reports a failing action', async () => {
    const reg = new ActionRegistry(logger);
    const id = reg.issue(spec(() => Promise.reject(new Error('runtime gone')), { everyoneAllowed: true }));
    await expect(reg.press(press(id, 'anyone'))).resolves.toEqual({ status: 'stale', text: 'That did not work: runtime gone' });
  });
});
