/**
 * How the dispatcher waits for attachments (src/dispatch/attachments.ts): the real Dispatcher over
 * the in-memory store and the in-memory runtime (test/support/fake-runtime.ts), fed by the REAL
 * Feishu adapter (real SDK, long connection) against the fake Feishu platform, whose downloads the
 * test holds and releases. The same round trip with the real codex is test/e2e/feishu-attachments.test.ts.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { attachmentSlot } from '../../src/channels/attachments.js';
import { createFeishuChannel, type FeishuChannel } from '../../src/channels/feishu/index.js';
import { systemClock } from '../../src/clock.js';
import { feishuChannelSchema } from '../../src/config/schema.js';
import { Dispatcher, type SessionRoute } from '../../src/dispatch/dispatcher.js';
import { silentLogger } from '../../src/log.js';
import { openMemoryStateStore } from '../../src/state/memory.js';
import type { QueuedMessage, StateStore } from '../../src/state/types.js';
import { waitFor } from '../support/fake-clock.js';
import { FakeRuntime } from '../support/fake-runtime.js';
import { newChatId, newOpenId, startFakeFeishu, type FakeFeishu } from '../support/fake-feishu/index.js';
import { makeTempDir, removeTempDir } from '../support/temp.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface Tier {
  fake: FakeFeishu;
  store: StateStore;
  runtime: FakeRuntime;
  channel: FeishuChannel;
  dispatcher: Dispatcher;
}

function newDispatcher(store: StateStore, runtime: FakeRuntime, channels: Map<string, FeishuChannel>, busy: SessionRoute['busy']): Dispatcher {
  return new Dispatcher({
    id: 'main',
    runtime,
    store,
    channels,
    queueLimit: 50,
    routeOf: () => ({ session: 'dispatcher', busy }),
    spillDir: '/nonexistent',
    completionLimits: { maxBytes: 1024 * 1024, spillBytes: 32 * 1024 },
    turnTimeoutMs: 60_000,
    logger: silentLogger(),
    clock: systemClock,
  });
}

async function setUp(busy: SessionRoute['busy'] = 'queue'): Promise<Tier> {
  const fake = await startFakeFeishu();
  cleanups.push(() => fake.close());
  const stateDir = makeTempDir('sb-feishu-att-');
  cleanups.push(() => removeTempDir(stateDir));
  const store = openMemoryStateStore();
  cleanups.push(() => store.close());
  const runtime = new FakeRuntime();
  const channel = createFeishuChannel(
    feishuChannelSchema.parse({
      id: 'fs',
      type: 'feishu',
      appId: fake.appId,
      appSecret: fake.appSecret,
      domain: fake.url,
      verificationToken: fake.verificationToken,
    }),
    { clock: systemClock, logger: silentLogger(), stateDir },
  );
  const dispatcher = newDispatcher(store, runtime, new Map([['fs', channel]]), busy);
  await channel.start((m) => dispatcher.accept(m));
  cleanups.push(() => channel.stop());
  await dispatcher.start();
  cleanups.push(() => dispatcher.stop());
  return { fake, store, runtime, channel, dispatcher };
}

/** Delivers an image message of `chatId` over the long connection (acked 200); its resource is held. */
async function sendHeldImage(t: Tier, chatId: string, key: string) {
  const event = t.fake.messageReceive({ chatId, chatType: 'p2p', senderOpenId: newOpenId(), image: { imageKey: key } });
  const messageId = event.event.message.message_id as string;
  t.fake.addResource(messageId, key, 'png', 'image/png', { type: 'image' });
  const hold = t.fake.holdResource(messageId, key);
  const ack = await t.fake.sendEvent(event);
  expect(ack.code).toBe(200);
  return { messageId, hold, file: path.join(t.channel.filesDir, messageId, `${key}.png`) };
}

async function sendText(t: Tier, chatId: string, text: string): Promise<void> {
  expect((await t.fake.sendEvent(t.fake.messageReceive({ chatId, chatType: 'p2p', senderOpenId: newOpenId(), text }))).code).toBe(200);
}

const body = (turnText: string): string => turnText.split('\n').slice(1).join('\n');

describe('dispatcher and Feishu attachments (in-memory runtime, real adapter, fake Feishu)', () => {
  it('the turn waits for its download, and the message after it waits its turn (FIFO holds)', async () => {
    const t = await setUp();
    const chatId = newChatId();
    const img = await sendHeldImage(t, chatId, 'img_v3_first');
    await sendText(t, chatId, 'sent after the image');
    await img.hold.requested;
    expect(t.store.listQueue('main')).toHaveLength(2);
    expect(t.runtime.turns).toHaveLength(0);
    img.hold.release();
    await waitFor(() => t.runtime.turns.length === 2, 10_000, 'two turns');
    expect(t.runtime.turns.map((x) => body(x.text))).toEqual([`[image: ${img.file}]`, 'sent after the image']);
  });

  it('busy steer: an image sent during a running turn is steered into it once downloaded', async () => {
    const t = await setUp('steer');
    t.runtime.autoAnswer = false;
    const chatId = newChatId();
    await sendText(t, chatId, 'long task');
    await waitFor(() => t.runtime.turns.length === 1, 10_000, 'the first turn');
    const img = await sendHeldImage(t, chatId, 'img_v3_steer');
    await img.hold.requested;
    expect(t.runtime.turns[0]!.steered).toEqual([]);
    img.hold.release();
    await waitFor(() => t.runtime.turns[0]!.steered.length === 1, 10_000, 'the steer');
    expect(body(t.runtime.turns[0]!.steered[0]!)).toBe(`[image: ${img.file}]`);
    t.runtime.turns[0]!.settle();
    await t.dispatcher.whenIdle();
    expect(t.runtime.turns).toHaveLength(1);
  });

  it('stopping while a download hangs does not wait for it; the entry keeps its keys for the next start', async () => {
    const t = await setUp();
    const img = await sendHeldImage(t, newChatId(), 'img_v3_stop');
    await img.hold.requested;
    await t.dispatcher.stop();
    expect(t.runtime.turns).toHaveLength(0);
    img.hold.release();
    await t.fake.waitForCall('im.messageResource.get');
    const [entry] = t.store.listQueue('main') as QueuedMessage[];
    expect(entry).toMatchObject({ text: attachmentSlot(0), attachments: [{ kind: 'image', key: 'img_v3_stop' }] });
  });

  it('a queued attachment whose channel cannot fetch any more is named in the turn text; the turn runs', async () => {
    const store = openMemoryStateStore();
    cleanups.push(() => store.close());
    const entry: QueuedMessage = {
      id: 'q1',
      dedupKey: 'gone:oc_1:om_1',
      kind: 'message',
      address: { channelId: 'gone', conversation: 'oc_1', messageId: 'om_1' },
      sender: { id: 'ou_1' },
      text: `look: ${attachmentSlot(0)}`,
      attachments: [{ kind: 'file', key: 'file_v3_1', name: 'notes.txt' }],
      acceptedAt: 1,
      attempts: 0,
    };
    await store.enqueue('main', entry, 10);
    const runtime = new FakeRuntime();
    const dispatcher = newDispatcher(store, runtime, new Map(), 'queue');
    await dispatcher.start();
    cleanups.push(() => dispatcher.stop());
    await waitFor(() => runtime.turns.length === 1, 10_000, 'the turn');
    expect(body(runtime.turns[0]!.text)).toBe('look: [file "notes.txt" could not be downloaded: channel "gone" cannot fetch attachments]');
    await dispatcher.whenIdle();
    expect(store.listQueue('main')).toEqual([]);
  });
});
