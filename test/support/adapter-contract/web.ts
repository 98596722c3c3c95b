/**
 * Contract harness for the local web chat: the real adapter on 127.0.0.1:0 with the real state store
 * in a temp directory. The platform side is the chat's own HTTP API: a user message is a
 * `POST /api/conversations/:c/messages` (with a client id, so it can be posted again), what the
 * platform received is the conversation's history (`GET`), assistant/system entries replying to the
 * address. Every conversation name exists on the web chat, so the unknown address is one of another
 * channel id (what `send` refuses). Its progress makes no platform call: nothing to fail.
 */
import { systemClock } from '../../../src/clock.js';
import { createWebChannel } from '../../../src/channels/web/index.js';
import { silentLogger } from '../../../src/log.js';
import { openStateStore } from '../../../src/state/open.js';
import type { ReplyAddress, WebMessage } from '../../../src/state/types.js';
import { makeTempDir, removeTempDir } from '../temp.js';
import type { AdapterHarness, Delivery, HarnessFactory } from './harness.js';

const CONVERSATION = 'contract';

export const webHarness: HarnessFactory = async (): Promise<AdapterHarness> => {
  const dir = makeTempDir('sb-contract-web-');
  const store = await openStateStore(dir);
  const adapter = createWebChannel(
    { id: 'web', type: 'web', listen: '127.0.0.1:0', maxTextBytes: 64 * 1024, historyLimit: 500 },
    { store, logger: silentLogger(), clock: systemClock },
  );
  let n = 0;

  async function post(messageId: string, text: string): Promise<void> {
    const res = await fetch(`${adapter.url}/api/conversations/${CONVERSATION}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text, id: messageId, sender: 'ada' }),
    });
    if (!res.ok) throw new Error(`web chat POST answered ${res.status}: ${await res.text()}`);
  }

  return {
    adapter,
    textLimit: undefined,
    dropsRedeliveries: false,
    start: (handler) => adapter.start(handler),
    async deliver(text): Promise<Delivery> {
      const messageId = `m-${++n}`;
      await post(messageId, text);
      return { expected: { conversation: CONVERSATION, messageId, text, senderId: 'ada' }, redeliver: () => post(messageId, text) };
    },
    knownAddress: (): ReplyAddress => ({ channelId: 'web', conversation: CONVERSATION, messageId: `q-${++n}` }),
    unknownAddress: (): ReplyAddress => ({ channelId: 'not-this-web-channel', conversation: CONVERSATION, messageId: `q-${++n}` }),
    async received(to) {
      const res = await fetch(`${adapter.url}/api/conversations/${encodeURIComponent(to.conversation)}/messages`);
      const { messages } = (await res.json()) as { messages: WebMessage[] };
      return messages.filter((m) => m.role !== 'user' && m.replyTo === to.messageId).map((m) => ({ id: m.id, text: m.text }));
    },
    async close() {
      await adapter.stop().catch(() => undefined);
      await store.close().catch(() => undefined);
      await removeTempDir(dir);
    },
  };
};
