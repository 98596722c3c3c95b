/**
 * Feishu live answers with the REAL @larksuiteoapi/node-sdk against the fake Feishu (CardKit card
 * entities, message patch, card.action.trigger callbacks): the streaming card, its final text, the
 * edited-message fallback, rate limits while streaming, abandon, and the Stop button's callbacks over
 * the long connection and the webhook, with the service's real ActionRegistry and LiveTurn.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFeishuChannel, type FeishuChannel } from '../../src/channels/feishu/index.js';
import { renderMarkdownParts } from '../../src/channels/feishu/format/post.js';
import { ACTION_VALUE_KEY, ANSWER_ELEMENT, STATUS_ELEMENT, STOP_ELEMENT } from '../../src/channels/feishu/outbound/card-stream.js';
import { ABANDON_SEQUENCE_BASE, FEISHU_LIVE_MIN_INTERVAL_MS, parseLiveRef } from '../../src/channels/feishu/outbound/live.js';
import type { LiveElement, LiveView } from '../../src/channels/live.js';
import type { OutboundMessage, ReplyAddress } from '../../src/channels/types.js';
import { systemClock } from '../../src/clock.js';
import { feishuChannelSchema } from '../../src/config/schema.js';
import { ActionRegistry } from '../../src/dispatch/actions.js';
import { LiveTurn } from '../../src/dispatch/live/live-turn.js';
import { silentLogger } from '../../src/log.js';
import { waitFor } from '../support/fake-clock.js';
import {
  elementOf,
  isStreaming,
  newChatId,
  newMessageId,
  newOpenId,
  SEQUENCE_ERROR,
  startFakeFeishu,
  type FakeFeishu,
  type StoredCard,
} from '../support/fake-feishu/index.js';
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
  stopped: string[];
}

async function start(over: Record<string, unknown> = {}): Promise<Harness> {
  const fake = await startFakeFeishu();
  cleanups.push(() => fake.close());
  const config = feishuChannelSchema.parse({
    id: 'fs',
    type: 'feishu',
    appId: fake.appId,
    appSecret: fake.appSecret,
    domain: fake.url,
    verificationToken: fake.verificationToken,
    ...over,
  });
  const stateDir = makeTempDir('sb-feishu-live-');
  cleanups.push(() => removeTempDir(stateDir));
  const logger = silentLogger();
  const channel = createFeishuChannel(config, { clock: systemClock, logger, stateDir, retryBudgetMs: 2_000 });
  const actions = new ActionRegistry(logger);
  await channel.start(
    async () => ({ status: 'duplicate' }),
    (event) => actions.press(event),
  );
  cleanups.push(() => channel.stop());
  return { fake, channel, actions, stopped: [] };
}

/** A received group message the live answer replies to, and its sender. */
function seeded(fake: FakeFeishu): { to: ReplyAddress; sender: string } {
  const messageId = newMessageId();
  const chatId = newChatId();
  const sender = newOpenId();
  fake.addMessage({ message_id: messageId, chat_id: chatId, chat_type: 'group', sender_id: sender });
  return { to: { channelId: 'fs', conversation: chatId, messageId }, sender };
}

function issueStop(h: Harness, to: ReplyAddress, sender: string): string {
  return h.actions.issue({
    channelId: 'fs',
    conversation: to.conversation,
    allowedUserIds: [sender],
    refusedText: 'Only the sender can stop this turn.',
    staleText: 'Already finished.',
    run: async () => {
      h.stopped.push(to.messageId);
      return 'Stopping…';
    },
  });
}

async function open(h: Harness, to: ReplyAddress, sender: string, key = `q-${Math.random()}`): Promise<{ element: LiveElement; stopActionId: string }> {
  const stopActionId = issueStop(h, to, sender);
  const element = await h.channel.live!.open(to, { key, stopActionId, recipientUserId: sender });
  expect(element).not.toBeNull();
  return { element: element!, stopActionId };
}

const view = (text: string, over: Partial<LiveView> = {}): LiveView => ({ text, textSeq: 1, activity: null, plan: [], ...over });
const answer = (text: string, key = `k-${Math.random()}`): OutboundMessage => ({ kind: 'answer', text, idempotencyKey: key });

function cardOf(fake: FakeFeishu, ref: string): StoredCard {
  const r = parseLiveRef(ref);
  if (r?.kind !== 'card') throw new Error(`not a card ref: ${ref}`);
  const card = fake.card(r.cardId);
  if (!card) throw new Error(`no card ${r.cardId}`);
  return card;
}

const sequences = (card: StoredCard): number[] => card.operations.filter((o) => o.op !== 'create').map((o) => o.sequence);
const strictlyIncreasing = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x > xs[i - 1]!);
const elementIds = (card: StoredCard): string[] => (card.card.body.elements as Array<{ element_id: string }>).map((e) => e.element_id);

describe('Feishu live answers: the CardKit streaming card', () => {
  it('streams into the answer element, shows plan and activity, and ends in exactly the text send() posts, streaming off', async () => {
    const h = await start();
    const { to, sender } = seeded(h.fake);
    const { element, stopActionId } = await open(h, to, sender);

    // Sent once, as a reply carrying the card entity.
    const replies = h.fake.callsTo('im.message.reply');
    expect(replies).toHaveLength(1);
    const card = cardOf(h.fake, element.ref);
    expect(JSON.parse(replies[0]!.body.content)).toEqual({ type: 'card', data: { card_id: card.cardId } });
    expect(card.messageId).toBe(h.fake.sentMessages()[0]!.message_id);
    expect(isStreaming(card)).toBe(true);
    expect(elementIds(card)).toEqual([ANSWER_ELEMENT, STATUS_ELEMENT, STOP_ELEMENT]);
    expect(elementOf(card, STOP_ELEMENT)!.behaviors).toEqual([{ type: 'callback', value: { [ACTION_VALUE_KEY]: stopActionId } }]);

    const plan = [
      { step: 'read the code', status: 'completed' as const },
      { step: 'run the tests', status: 'inProgress' as const },
      { step: 'write the summary', status: 'pending' as const },
    ];
    expect(await element.update(view('## Result\n\nThe build', { activity: 'running `npm test`', plan }))).toBe(true);
    expect(elementOf(card, ANSWER_ELEMENT)!.content).toBe('**Result**\n\nThe build');
    expect(elementOf(card, STATUS_ELEMENT)!.content).toBe('✅ read the code\n▶️ run the tests\n◻️ write the summary\n_running `npm test`_');
    const calls = h.fake.callsTo('cardkit.cardElement.content').length;
    // Same status: only the answer element is pushed.
    expect(await element.update(view('## Result\n\nThe build passed', { activity: 'running `npm test`', plan }))).toBe(true);
    expect(h.fake.callsTo('cardkit.cardElement.content')).toHaveLength(calls + 1);

    const message = answer('## Result\n\nThe build passed: 120 tests.');
    expect(await element.finish({ outcome: 'completed', message })).toEqual({ status: 'sent', messageIds: [card.messageId] });
    const final = renderMarkdownParts(message);
    expect(final).toHaveLength(1);
    expect(elementIds(card)).toEqual([ANSWER_ELEMENT]);
    expect(elementOf(card, ANSWER_ELEMENT)!.content).toBe(final[0]);
    expect(isStreaming(card)).toBe(false);
    expect(card.card.config.summary.content).toBe('Result The build passed: 120 tests.');
    expect(card.operations.some((o) => o.op === 'settings' && o.settings.config.streaming_mode === false)).toBe(true);
    expect(strictlyIncreasing(sequences(card))).toBe(true);
    // One final answer: the card; nothing else was posted.
    expect(h.fake.sentMessages()).toHaveLength(1);
  });

  it('the fake refuses a sequence that does not increase (300317)', async () => {
    const h = await start();
    const { to, sender } = seeded(h.fake);
    const { element } = await open(h, to, sender);
    expect(await element.update(view('a'))).toBe(true);
    const card = cardOf(h.fake, element.ref);
    const res = await fetch(`${h.fake.url}/open-apis/cardkit/v1/cards/${card.cardId}/elements/${ANSWER_ELEMENT}/content`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.fake.issuedTokens.at(-1)}` },
      body: JSON.stringify({ content: 'ab', sequence: card.sequence }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: number }).code).toBe(SEQUENCE_ERROR);
  });

  it('a final answer over one part ends the card with the first part and posts the rest as send() would', async () => {
    const h = await start();
    const { to, sender } = seeded(h.fake);
    const { element } = await open(h, to, sender);
    const long = Array.from({ length: 40 }, (_, i) => `Paragraph ${i}: ${'lorem ipsum '.repeat(30)}`).join('\n\n');
    expect(await element.update(view(long.slice(0, 3_000)))).toBe(true);
    const message = answer(long, 'q-long');
    const parts = renderMarkdownParts(message);
    expect(parts.length).toBeGreaterThan(1);
    const res = await element.finish({ outcome: 'completed', message });
    const card = cardOf(h.fake, element.ref);
    expect(elementOf(card, ANSWER_ELEMENT)!.content).toBe(parts[0]);
    const posted = h.fake.sentMessages().slice(1);
    expect(posted.map((m) => JSON.parse(m.content).zh_cn.content[0][0].text)).toEqual(parts.slice(1));
    expect(res).toEqual({ status: 'sent', messageIds: [card.messageId, ...posted.map((m) => m.message_id)] });
    // The follow-ups carry the uuids send() gives those parts: a send() with the same key adds only part 1.
    const again = await h.channel.send(to, message);
    expect(again.status).toBe('sent');
    expect(h.fake.sentMessages()).toHaveLength(1 + parts.length);
  });

  it('a rate limit while streaming: update answers false; finish still ends in one final answer', async () => {
    const h = await start();
    const { to, sender } = seeded(h.fake);
    const { element } = await open(h, to, sender);
    expect(await element.update(view('Hello'))).toBe(true);
    h.fake.failNext('cardkit.cardElement.content', { httpStatus: 429 });
    expect(await element.update(view('Hello wor'))).toBe(false);
    const message = answer('Hello world.');
    expect((await element.finish({ outcome: 'completed', message })).status).toBe('sent');
    const card = cardOf(h.fake, element.ref);
    expect(elementOf(card, ANSWER_ELEMENT)!.content).toBe(renderMarkdownParts(message)[0]);
    expect(isStreaming(card)).toBe(false);
    expect(h.fake.sentMessages()).toHaveLength(1);
  });

  it('finish answers failed when the card cannot show the answer (the caller then posts it once with send())', async () => {
    const h = await start();
    const { to, sender } = seeded(h.fake);
    const { element } = await open(h, to, sender);
    h.fake.failNext('cardkit.card.update', { code: 200740, msg: 'The card entity does not exist.' });
    h.fake.failNext('cardkit.cardElement.content', { code: 200740, msg: 'The card entity does not exist.' });
    const message = answer('The answer.');
    expect(await element.finish({ outcome: 'completed', message })).toMatchObject({ status: 'failed' });
    expect(await h.channel.send(to, message)).toMatchObject({ status: 'sent' });
    expect(h.fake.sentMessages().filter((m) => m.msg_type === 'post')).toHaveLength(1);
  });

  it('CardKit unavailable: an edited card message instead, ending in one final answer', async () => {
    const h = await start();
    h.fake.setCardKitAvailable(false);
    const { to, sender } = seeded(h.fake);
    const { element } = await open(h, to, sender);
    expect(parseLiveRef(element.ref)).toMatchObject({ kind: 'message' });
    const sent = h.fake.sentMessages();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.msg_type).toBe('interactive');
    const contentOf = (): { body: { elements: Array<{ element_id: string; content?: string }> } } => JSON.parse(h.fake.message(sent[0]!.message_id)!.content);

    expect(await element.update(view('Hel', { activity: 'editing src/app.ts' }))).toBe(true);
    expect(contentOf().body.elements.map((e) => e.content)).toEqual(['Hel', '_editing src/app.ts_', undefined]);
    // Nothing changed: no call.
    const patches = h.fake.callsTo('im.message.patch').length;
    expect(await element.update(view('Hel', { activity: 'editing src/app.ts' }))).toBe(true);
    expect(h.fake.callsTo('im.message.patch')).toHaveLength(patches);

    const message = answer('Hello **there**.');
    expect(await element.finish({ outcome: 'completed', message })).toEqual({ status: 'sent', messageIds: [sent[0]!.message_id] });
    expect(contentOf().body.elements).toEqual([{ tag: 'markdown', element_id: ANSWER_ELEMENT, content: renderMarkdownParts(message)[0] }]);
    expect(h.fake.sentMessages()).toHaveLength(1);
  });

  it('open answers null when not even a message can be posted (the source message was withdrawn)', async () => {
    const h = await start();
    const { to, sender } = seeded(h.fake);
    h.fake.withdrawMessage(to.messageId);
    expect(await h.channel.live!.open(to, { key: 'q', stopActionId: issueStop(h, to, sender), recipientUserId: sender })).toBeNull();
    h.fake.setCardKitAvailable(false);
    expect(await h.channel.live!.open(to, { key: 'q2', stopActionId: issueStop(h, to, sender), recipientUserId: sender })).toBeNull();
  });

  it('abandon closes a card a previous process left open: the note shows, the Stop button goes, streaming ends', async () => {
    const h = await start();
    const { to, sender } = seeded(h.fake);
    const { element } = await open(h, to, sender);
    expect(await element.update(view('Half an ans'))).toBe(true);
    // A new process knows only the persisted ref.
    await h.channel.live!.abandon(to, element.ref, '_stopped by a restart_');
    const card = cardOf(h.fake, element.ref);
    expect(elementIds(card)).toEqual([ANSWER_ELEMENT, STATUS_ELEMENT]);
    expect(elementOf(card, ANSWER_ELEMENT)!.content).toBe('Half an ans');
    expect(elementOf(card, STATUS_ELEMENT)!.content).toBe('_stopped by a restart_');
    expect(isStreaming(card)).toBe(false);
    expect(sequences(card).at(-1)).toBeGreaterThan(ABANDON_SEQUENCE_BASE);
    expect(strictlyIncreasing(sequences(card))).toBe(true);
  });

  it('a 50-delta answer through the real LiveTurn: bounded Open API calls per turn', async () => {
    const h = await start();
    const { to, sender } = seeded(h.fake);
    h.fake.clearCalls();
    const stopActionId = issueStop(h, to, sender);
    const turn = new LiveTurn(() => h.channel.live!.open(to, { key: 'q-50', stopActionId, recipientUserId: sender }), {
      minIntervalMs: h.channel.live!.minIntervalMs,
      clock: systemClock,
      logger: silentLogger(),
    });
    await turn.whenOpened();
    let text = '';
    turn.onEvent({
      type: 'itemStarted',
      item: {
        type: 'commandExecution',
        id: 'c1',
        command: 'npm test',
        cwd: '/w',
        processId: null,
        status: 'inProgress',
        commandActions: [],
        aggregatedOutput: null,
        exitCode: null,
        durationMs: null,
      } as never,
    });
    for (let i = 0; i < 50; i++) {
      const delta = `word${i} `;
      text += delta;
      turn.onEvent({ type: 'agentMessageDelta', itemId: 'm1', delta });
      // Deltas arrive over ~1.5 s, as a model writes (drives the turn; nothing is asserted on time).
      await new Promise((r) => setTimeout(r, 30));
    }
    const message = answer(text.trim(), 'q-50');
    const res = await turn.finish({ outcome: 'completed', message });
    expect(res.status).toBe('sent');
    const openApi = h.fake.calls.filter((c) => c.path.startsWith('/open-apis/') && !c.path.startsWith('/open-apis/auth/'));
    const byRoute: Record<string, number> = {};
    for (const c of openApi) byRoute[c.route] = (byRoute[c.route] ?? 0) + 1;
    console.log(
      `feishu live: 50 deltas → ${turn.stats.updates} updates, ${openApi.length} Open API calls ${JSON.stringify(byRoute)} (minIntervalMs ${FEISHU_LIVE_MIN_INTERVAL_MS})`,
    );
    // open (create + reply) + ≤ 2 per update + finish (update + settings).
    expect(openApi.length).toBeLessThanOrEqual(2 + 2 * turn.stats.updates + 2);
    expect(turn.stats.updates).toBeLessThan(50);
    const card = h.fake.cards().at(-1)!;
    const contents = card.operations.flatMap((o) => (o.op === 'content' && o.elementId === ANSWER_ELEMENT ? [o.content] : []));
    expect(contents.every((c, i) => i === 0 || c.startsWith(contents[i - 1]!))).toBe(true);
    expect(elementOf(card, ANSWER_ELEMENT)!.content).toBe(text.trim());
    expect(card.operations.some((o) => o.op === 'content' && o.elementId === STATUS_ELEMENT && o.content === '_running `npm test`_')).toBe(true);
    expect(strictlyIncreasing(sequences(card))).toBe(true);
    expect(isStreaming(card)).toBe(false);
  });
});

describe('Feishu live answers: the Stop button (card.action.trigger)', () => {
  it('over the long connection: the sender stops the turn (info toast); another user is refused; after the turn it is stale', async () => {
    const h = await start();
    const { to, sender } = seeded(h.fake);
    const { element, stopActionId } = await open(h, to, sender);
    const card = cardOf(h.fake, element.ref);
    const press = (operatorOpenId: string) =>
      h.fake.sendEvent(h.fake.cardAction({ operatorOpenId, value: { [ACTION_VALUE_KEY]: stopActionId }, messageId: card.messageId!, chatId: to.conversation }));

    const other = await press(newOpenId());
    expect(other).toMatchObject({ acked: true, code: 200, handlerResult: { toast: { type: 'warning', content: 'Only the sender can stop this turn.' } } });
    expect(h.stopped).toEqual([]);

    const mine = await press(sender);
    expect(mine).toMatchObject({ acked: true, code: 200, handlerResult: { toast: { type: 'info', content: 'Stopping…' } } });
    expect(h.stopped).toEqual([to.messageId]);
    // A double click acts once.
    expect((await press(sender)).handlerResult).toEqual({ toast: { type: 'info', content: 'Stopping…' } });
    expect(h.stopped).toHaveLength(1);

    const fresh = issueStop(h, to, sender);
    h.actions.retire(fresh);
    const stale = await h.fake.sendEvent(
      h.fake.cardAction({ operatorOpenId: sender, value: { [ACTION_VALUE_KEY]: fresh }, messageId: card.messageId!, chatId: to.conversation }),
    );
    expect(stale.handlerResult).toEqual({ toast: { type: 'warning', content: 'Already finished.' } });
  });

  it('over the webhook: verified like events, answered with the toast', async () => {
    const encryptKey = 'live-encrypt-key';
    const h = await start({ mode: 'webhook', listen: '127.0.0.1:0', encryptKey });
    const url = h.channel.eventsUrl!;
    const { to, sender } = seeded(h.fake);
    const { element, stopActionId } = await open(h, to, sender);
    const card = cardOf(h.fake, element.ref);
    const body = (operatorOpenId: string) =>
      h.fake.cardAction({ operatorOpenId, value: { [ACTION_VALUE_KEY]: stopActionId }, messageId: card.messageId!, chatId: to.conversation });

    const forged = await h.fake.postWebhook(url, { payload: body(sender), encryptKey, tamper: 'token' });
    expect(forged.status).toBe(401);
    const unsigned = await h.fake.postWebhook(url, { payload: body(sender), encryptKey, tamper: 'signature' });
    expect(unsigned.status).toBe(401);
    expect(h.stopped).toEqual([]);

    const refused = await h.fake.postWebhook(url, { payload: body(newOpenId()), encryptKey });
    expect(refused).toMatchObject({ status: 200, json: { toast: { type: 'warning', content: 'Only the sender can stop this turn.' } } });
    const done = await h.fake.postWebhook(url, { payload: body(sender), encryptKey });
    expect(done).toMatchObject({ status: 200, json: { toast: { type: 'info', content: 'Stopping…' } } });
    expect(h.stopped).toEqual([to.messageId]);

    // A press on a card that is not ours (no action id): answered with nothing.
    const foreign = await h.fake.postWebhook(url, {
      payload: h.fake.cardAction({ operatorOpenId: sender, value: { other: 1 }, messageId: card.messageId!, chatId: to.conversation }),
      encryptKey,
    });
    expect(foreign).toMatchObject({ status: 200, json: {} });
    await waitFor(() => h.stopped.length === 1);
  });
});
