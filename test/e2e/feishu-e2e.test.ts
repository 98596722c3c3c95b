/**
 * End to end through Feishu: the REAL service (gate, dispatcher, state) and a REAL codex app-server
 * with a scripted model, behind the Feishu adapter (real @larksuiteoapi/node-sdk) talking to the fake
 * Feishu platform. The long connection runs every case; the webhook runs the main round trip.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderMarkdownParts } from '../../src/channels/feishu/format/post.js';
import type { ScriptFn } from '../../src/demo/scripted-model.js';
import { notQueuedText } from '../../src/dispatch/messages.js';
import { breakStateFile, isNotQueuedNotice } from '../support/broken-state.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { waitFor } from '../support/fake-clock.js';
import { ANSWER_ELEMENT, STOP_ELEMENT } from '../../src/channels/feishu/outbound/card-stream.js';
import { elementOf, isStreaming, newChatId, newEventId, newOpenId, startFakeFeishu, type FakeFeishu } from '../support/fake-feishu/index.js';
import { replyMarkdown, startFeishuTestService, type FeishuTestService, type FeishuTestServiceOptions } from '../support/feishu-service.js';
import { stripHeader } from '../support/service.js';

/** The scripted model's Markdown answer for the round-trip case. */
const RICH_ANSWER = 'Here is **the plan**:\n\n```js\nconsole.log(1 < 2 && "ok");\n```\n\nDone.';

const SLOW_ANSWER = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');

const echoScript: ScriptFn = async (req) => {
  const text = stripHeader(req.lastUserText);
  if (text.startsWith('hang')) return { kind: 'hang' };
  // Written slowly, word by word: a live answer to watch and stop.
  if (text.startsWith('slow')) return { kind: 'reply', text: SLOW_ANSWER, chunks: 60, streamMs: 30_000 };
  if (text.startsWith('rich')) return { kind: 'reply', text: RICH_ANSWER };
  return { kind: 'reply', text: `echo: ${text}` };
};

let env: CodexTestEnv;
let fake: FakeFeishu;
const running: FeishuTestService[] = [];

beforeEach(async () => {
  env = await codexTestEnv(echoScript);
  fake = await startFakeFeishu();
});

afterEach(async () => {
  // The channel stops before the fake closes.
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await fake.close();
  await env.cleanup();
});

async function start(opts: FeishuTestServiceOptions = {}): Promise<FeishuTestService> {
  const s = await startFeishuTestService(env, fake, opts);
  running.push(s);
  return s;
}

/** Model requests whose user text (without the sender header) is `text`. */
const asked = (text: string): number => env.model.requests.filter((r) => stripHeader(r.lastUserText) === text).length;
const emojis = (messageId: string): string[] => fake.reactionsOn(messageId).map((r) => r.emoji_type);

for (const mode of ['websocket', 'webhook'] as const) {
  describe(`Feishu → real service → real codex (${mode})`, () => {
    it('a group message mentioning the bot gets a reply with the Markdown (a live card settling into the post text) and progress reactions; re-deliveries are one turn', async () => {
      const s = await start({ mode });
      const ada = newOpenId();
      const chatId = newChatId();
      const event = fake.messageReceive({ chatId, chatType: 'group', senderOpenId: ada, text: 'rich answer please' });
      const messageId = event.event.message.message_id as string;
      await s.deliver(event);
      // Feishu re-delivers the same event (same event_id) while the turn runs …
      await s.deliver(event);
      // … or the same message under a new event id: the dispatcher's dedup catches that one.
      await s.deliver({ ...event, header: { ...event.header, event_id: newEventId() } });

      // The answer streams in a live card (CardKit) that settles into exactly the text of the post send() would reply with.
      const [answer] = await s.waitForAnswers(messageId, 1);
      expect(answer!.message.msg_type).toBe('interactive');
      expect(answer!.markdown).toBe(RICH_ANSWER);
      expect(answer!.markdown).toBe(renderMarkdownParts({ kind: 'answer', text: RICH_ANSWER })[0]);
      expect(answer!.message.chat_id).toBe(chatId);
      // The turn input names the sender (open_id) and the chat.
      const req = env.model.requests.find((r) => r.lastUserText.endsWith('rich answer please'));
      expect(req?.lastUserText).toBe(`[${ada} via feishu/${chatId}]\nrich answer please`);

      await waitFor(() => JSON.stringify(emojis(messageId)) === '["DONE"]', 10_000, 'DONE reaction');
      expect(
        fake.calls.filter((c) => c.route.startsWith('im.messageReaction')).map((c) => `${c.method} ${c.body?.reaction_type?.emoji_type ?? ''}`.trim()),
      ).toEqual(['POST OnIt', 'DELETE', 'POST DONE']);

      // One more re-delivery after the answer: still one turn, one reply.
      await s.deliver(event);
      await s.service.dispatchers.get('main')!.whenIdle();
      await new Promise((r) => setTimeout(r, 200));
      expect(asked('rich answer please')).toBe(1);
      expect(s.repliesTo(messageId)).toHaveLength(1);
    });
  });
}

describe('Feishu → real service → real codex (websocket): mentions, access and commands', () => {
  it('p2p without a mention is answered; a group message without one is ignored unless the binding allows it', async () => {
    const open = newChatId();
    const s = await start({ bindings: [{ conversation: open, requireMention: false }, {}] });
    const quiet = fake.messageReceive({ chatId: newChatId(), chatType: 'group', senderOpenId: newOpenId(), text: 'plain chatter', mentionBot: false });
    await s.deliver(quiet);
    const openChat = fake.messageReceive({ chatId: open, chatType: 'group', senderOpenId: newOpenId(), text: 'open chatter', mentionBot: false });
    await s.deliver(openChat);
    const dm = fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), text: 'direct question' });
    await s.deliver(dm);

    expect((await s.waitForAnswers(dm.event.message.message_id, 1))[0]!.markdown).toBe('echo: direct question');
    expect((await s.waitForAnswers(openChat.event.message.message_id, 1))[0]!.markdown).toBe('echo: open chatter');
    await s.service.dispatchers.get('main')!.whenIdle();
    expect(asked('plain chatter')).toBe(0);
    expect(s.repliesTo(quiet.event.message.message_id)).toEqual([]);
    expect(emojis(quiet.event.message.message_id)).toEqual([]);
  });

  it('a message the store cannot persist is answered with the not-queued notice, and never run', async () => {
    const s = await start();
    const broken = await breakStateFile(env.stateDir);
    const chatId = newChatId();
    const sender = newOpenId();
    const ev = fake.messageReceive({ chatId, chatType: 'p2p', senderOpenId: sender, text: 'keep this' });
    try {
      await s.deliver(ev);
      const [notice] = await s.waitForReplies(ev.event.message.message_id, 1);
      expect(isNotQueuedNotice(replyMarkdown(notice!), notQueuedText, 'state not writable (EISDIR')).toBe(true);
    } finally {
      await broken.restore();
    }
    // A later message's answer proves the queue ran past it: the refused one got no answer.
    const later = fake.messageReceive({ chatId, chatType: 'p2p', senderOpenId: sender, text: 'after the refusal' });
    await s.deliver(later);
    expect((await s.waitForAnswers(later.event.message.message_id, 1))[0]!.markdown).toBe('echo: after the refusal');
    expect(s.repliesTo(ev.event.message.message_id)).toHaveLength(1);
    expect(asked('keep this')).toBe(0);
  });

  it('a sender outside access.users is ignored (no model request, no reply)', async () => {
    const insider = newOpenId();
    const s = await start({ access: { users: [insider] } });
    const chatId = newChatId();
    const outsider = fake.messageReceive({ chatId, chatType: 'group', senderOpenId: newOpenId(), text: 'let me in' });
    await s.deliver(outsider);
    const allowed = fake.messageReceive({ chatId, chatType: 'group', senderOpenId: insider, text: 'I am allowed' });
    await s.deliver(allowed);
    expect((await s.waitForAnswers(allowed.event.message.message_id, 1))[0]!.markdown).toBe('echo: I am allowed');
    await s.service.dispatchers.get('main')!.whenIdle();
    await new Promise((r) => setTimeout(r, 200));
    expect(asked('let me in')).toBe(0);
    expect(s.repliesTo(outsider.event.message.message_id)).toEqual([]);
  });

  it('a slow answer streams into the live card; its Stop button stops the turn for the sender (a stranger gets the refusal toast); one final answer', async () => {
    const ada = newOpenId();
    const s = await start();
    const chatId = newChatId();
    const ev = fake.messageReceive({ chatId, chatType: 'group', senderOpenId: ada, text: 'slow story please' });
    const messageId = ev.event.message.message_id as string;
    await s.deliver(ev);
    const answerPushes = (): string[] =>
      (fake.cards().at(-1)?.operations ?? []).flatMap((o) => (o.op === 'content' && o.elementId === ANSWER_ELEMENT ? [o.content] : []));
    await waitFor(() => answerPushes().length >= 2, 30_000, 'the answer streaming into the card');
    const card = fake.cards().at(-1)!;
    expect(isStreaming(card)).toBe(true);
    expect(answerPushes()[1]!.startsWith(answerPushes()[0]!)).toBe(true);
    const { value } = (elementOf(card, STOP_ELEMENT)!.behaviors as Array<{ value: Record<string, unknown> }>)[0]!;
    const press = (who: string) => fake.sendEvent(fake.cardAction({ operatorOpenId: who, value, messageId: card.messageId!, chatId }));

    expect((await press(newOpenId())).handlerResult).toMatchObject({ toast: { type: 'warning' } });
    expect((await press(ada)).handlerResult).toMatchObject({ toast: { type: 'info' } });
    const [stopped] = await s.waitForAnswers(messageId, 1);
    expect(stopped!.markdown).toMatch(/^⏹️ Stopped by .+\.$/);
    expect(isStreaming(card)).toBe(false);
    const seqs = card.operations.filter((o) => o.op !== 'create').map((o) => o.sequence);
    expect(seqs.every((x, i) => i === 0 || x > seqs[i - 1]!)).toBe(true);
    await s.service.dispatchers.get('main')!.whenIdle();
    // One final answer: the settled card, nothing posted after it.
    expect(s.repliesTo(messageId)).toHaveLength(1);
    expect(answerPushes().length).toBeLessThan(60);
  });

  it('`/stop` from an admin interrupts a hanging turn; someone else (not its sender, not an admin) gets the polite refusal', async () => {
    const admin = newOpenId();
    const ada = newOpenId();
    const bob = newOpenId();
    const s = await start({ access: { admins: [admin] } });
    const chatId = newChatId();
    const hang = fake.messageReceive({ chatId, chatType: 'group', senderOpenId: ada, text: 'hang in there' });
    await s.deliver(hang);
    const d = s.service.dispatchers.get('main')!;
    await waitFor(() => d.status().runningTurnAgeMs !== null, 20_000, 'running turn');

    const refused = fake.messageReceive({ chatId, chatType: 'group', senderOpenId: bob, text: '/stop' });
    await s.deliver(refused);
    const [refusal] = await s.waitForReplies(refused.event.message.message_id, 1);
    expect(replyMarkdown(refusal!)).toContain('(who sent the message) or an admin of this channel can stop this turn.');
    expect(d.status().runningTurnAgeMs).not.toBeNull();

    const stop = fake.messageReceive({ chatId, chatType: 'group', senderOpenId: admin, text: '/stop' });
    await s.deliver(stop);
    const [stopped] = await s.waitForAnswers(hang.event.message.message_id, 1);
    expect(stopped!.markdown).toMatch(/^⏹️ Stopped by .+\.$/);
    await waitFor(() => JSON.stringify(emojis(hang.event.message.message_id)) === '["CrossMark"]', 10_000, 'failure reaction');
    // One mark per stopped turn: in a flat chat `/stop` posts no acknowledgement of its own.
    await d.whenIdle();
    expect(s.repliesTo(stop.event.message.message_id)).toEqual([]);
    // Commands never reach the model.
    expect(asked('/stop')).toBe(0);
    expect(asked('stop')).toBe(0);
  });
});
