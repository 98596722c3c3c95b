/**
 * Feishu prompts (approvals / questions) with the REAL @larksuiteoapi/node-sdk against the fake
 * Feishu: the interactive card a prompt posts (title, converted body with its code block, buttons
 * carrying the issued action ids), a press over the long connection reaching the service's real
 * ActionRegistry (the presser's toast is the handler's text), the patch that settles it, and a
 * refused post.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFeishuChannel, type FeishuChannel } from '../../src/channels/feishu/index.js';
import { ACTION_VALUE_KEY } from '../../src/channels/feishu/outbound/card-stream.js';
import type { PromptView } from '../../src/channels/prompt.js';
import type { ReplyAddress } from '../../src/channels/types.js';
import { systemClock } from '../../src/clock.js';
import { feishuChannelSchema } from '../../src/config/schema.js';
import { ActionRegistry } from '../../src/dispatch/actions.js';
import { silentLogger } from '../../src/log.js';
import { newChatId, newMessageId, newOpenId, startFakeFeishu, type FakeFeishu } from '../support/fake-feishu/index.js';
import { makeTempDir, removeTempDir } from '../support/temp.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()?.();
    } catch {
      // best effort
    }
  }
});

interface Harness {
  fake: FakeFeishu;
  channel: FeishuChannel;
  actions: ActionRegistry;
  decided: string[];
}

async function start(): Promise<Harness> {
  const fake = await startFakeFeishu();
  cleanups.push(() => fake.close());
  const config = feishuChannelSchema.parse({
    id: 'fs',
    type: 'feishu',
    appId: fake.appId,
    appSecret: fake.appSecret,
    domain: fake.url,
    verificationToken: fake.verificationToken,
  });
  const stateDir = makeTempDir('sb-feishu-prompts-');
  cleanups.push(() => removeTempDir(stateDir));
  const logger = silentLogger();
  const channel = createFeishuChannel(config, { clock: systemClock, logger, stateDir, retryBudgetMs: 2_000 });
  const actions = new ActionRegistry(logger);
  await channel.start(
    async () => ({ status: 'duplicate' }),
    (event) => actions.press(event),
  );
  cleanups.push(() => channel.stop());
  return { fake, channel, actions, decided: [] };
}

function seeded(fake: FakeFeishu): { to: ReplyAddress; sender: string } {
  const messageId = newMessageId();
  const chatId = newChatId();
  const sender = newOpenId();
  fake.addMessage({ message_id: messageId, chat_id: chatId, chat_type: 'group', sender_id: sender });
  return { to: { channelId: 'fs', conversation: chatId, messageId }, sender };
}

function issue(h: Harness, to: ReplyAddress, sender: string, answer: string): string {
  return h.actions.issue({
    channelId: 'fs',
    conversation: to.conversation,
    allowedUserIds: [sender],
    refusedText: 'Only the sender can answer.',
    staleText: 'Already decided.',
    run: async () => {
      h.decided.push(answer);
      return `${answer}: noted.`;
    },
  });
}

interface Card {
  schema: string;
  config: { update_multi?: boolean };
  header: { title: { content: string } };
  body: { elements: Array<{ tag: string; content?: string; text?: { content: string }; type?: string; behaviors?: unknown }> };
}

const cardIn = (fake: FakeFeishu, messageId: string): Card => JSON.parse(fake.message(messageId)!.content) as Card;
const buttons = (card: Card) => card.body.elements.filter((e) => e.tag === 'button');

describe('Feishu prompts', () => {
  it('posts a card (title, body with the command code block, buttons with the action ids), a press reaches onAction, update removes the buttons', async () => {
    const h = await start();
    const { to, sender } = seeded(h.fake);
    const approve = issue(h, to, sender, 'Approved');
    const decline = issue(h, to, sender, 'Declined');
    const view: PromptView = {
      title: '🔐 Approval needed: run a command',
      body: '```sh\nrm -rf build && npm test\n```\ncwd: `/work`',
      buttons: [
        { actionId: approve, label: 'Approve', style: 'primary' },
        { actionId: decline, label: 'Decline', style: 'danger' },
        { actionId: 'x-plain', label: 'Always' },
      ],
      status: 'Reply in this thread to answer',
    };
    const posted = await h.channel.prompts!.post(to, view);
    expect(posted.status).toBe('sent');
    const ref = posted.status === 'sent' ? posted.ref : '';

    const replies = h.fake.callsTo('im.message.reply');
    expect(replies).toHaveLength(1);
    expect(replies[0]!.params.message_id).toBe(to.messageId);
    expect(replies[0]!.body.msg_type).toBe('interactive');
    const sent = h.fake.sentMessages();
    expect(sent.map((m) => m.message_id)).toEqual([ref]);
    const card = cardIn(h.fake, ref);
    expect(card.schema).toBe('2.0');
    expect(card.config.update_multi).toBe(true);
    expect(card.header.title.content).toBe(view.title);
    expect(card.body.elements[0]).toMatchObject({ tag: 'markdown', content: view.body });
    expect(card.body.elements[0]!.content).toContain('```sh\nrm -rf build && npm test\n```');
    expect(buttons(card).map((b) => [b.text!.content, b.type, b.behaviors])).toEqual([
      ['Approve', 'primary', [{ type: 'callback', value: { [ACTION_VALUE_KEY]: approve } }]],
      ['Decline', 'danger', [{ type: 'callback', value: { [ACTION_VALUE_KEY]: decline } }]],
      ['Always', 'default', [{ type: 'callback', value: { [ACTION_VALUE_KEY]: 'x-plain' } }]],
    ]);
    expect(card.body.elements.at(-1)).toMatchObject({ tag: 'markdown', content: 'Reply in this thread to answer' });

    // A press over the long connection, the Stop button's path: the presser's toast is the handler's text.
    const press = (operatorOpenId: string, actionId: string) =>
      h.fake.sendEvent(h.fake.cardAction({ operatorOpenId, value: { [ACTION_VALUE_KEY]: actionId }, messageId: ref, chatId: to.conversation }));
    expect((await press(newOpenId(), approve)).handlerResult).toEqual({ toast: { type: 'warning', content: 'Only the sender can answer.' } });
    expect(h.decided).toEqual([]);
    expect(await press(sender, approve)).toMatchObject({ acked: true, code: 200, handlerResult: { toast: { type: 'info', content: 'Approved: noted.' } } });
    expect(h.decided).toEqual(['Approved']);

    const settled: PromptView = { ...view, buttons: [], status: '✅ Approved by Ann at 14:02 UTC' };
    expect(await h.channel.prompts!.update(to, ref, settled)).toBe(true);
    expect(h.fake.callsTo('im.message.patch')).toHaveLength(1);
    const after = cardIn(h.fake, ref);
    expect(buttons(after)).toEqual([]);
    expect(after.header.title.content).toBe(view.title);
    expect(after.body.elements.at(-1)).toMatchObject({ content: '✅ Approved by Ann at 14:02 UTC' });
    expect(h.fake.sentMessages()).toHaveLength(1);
  });

  it('a refused post answers failed; an update of a message that is not ours answers false', async () => {
    const h = await start();
    const { to } = seeded(h.fake);
    const view: PromptView = { title: 'Question', body: 'Which one?', buttons: [{ actionId: 'a1', label: 'A' }], status: null };
    h.fake.failNext('im.message.reply', { code: 230011, msg: 'The message was withdrawn.' });
    expect(await h.channel.prompts!.post(to, view)).toMatchObject({ status: 'failed', error: 'feishu_230011' });
    expect(h.fake.sentMessages()).toHaveLength(0);
    expect(await h.channel.prompts!.update(to, to.messageId, { ...view, buttons: [] })).toBe(false);
    expect(await h.channel.prompts!.update(to, 'om_missing', { ...view, buttons: [] })).toBe(false);
  });
});
