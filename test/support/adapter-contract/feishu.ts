/**
 * Contract harnesses for the Feishu/Lark adapter: the real @larksuiteoapi/node-sdk against the fake
 * Feishu, over the long connection (the SDK's WSClient; events pushed by the fake) or in webhook mode
 * (the adapter's own server and EventDispatcher; signed, encrypted POSTs). What the platform
 * received is the fake's record of the bot's replies to the address's source message (the post's
 * `md` text). A source message the fake does not know answers 231003, as from Feishu; progress
 * failures are injected 231001 answers to the reaction endpoints.
 */
import { systemClock } from '../../../src/clock.js';
import { createFeishuChannel } from '../../../src/channels/feishu/index.js';
import { FEISHU_PART_CHARS } from '../../../src/channels/feishu/format/post.js';
import { feishuChannelSchema } from '../../../src/config/schema.js';
import { silentLogger } from '../../../src/log.js';
import type { ReplyAddress } from '../../../src/state/types.js';
import { newChatId, newMessageId, newOpenId, startFakeFeishu, type FeishuEvent } from '../fake-feishu/index.js';
import { makeTempDir, removeTempDir } from '../temp.js';
import type { AdapterHarness, Delivery, HarnessFactory } from './harness.js';

const ENCRYPT_KEY = 'contract-encrypt-key';
const WAIT_MS = 15_000;

interface PostContent {
  zh_cn: { content: Array<Array<{ tag: string; text?: string }>> };
}

/** The `md` text of a post the bot sent (one `md` element, see src/channels/feishu/format/post.ts). */
function mdText(content: string): string {
  const post = JSON.parse(content) as PostContent;
  return post.zh_cn.content
    .flat()
    .map((e) => e.text ?? '')
    .join('');
}

export function feishuHarness(mode: 'websocket' | 'webhook'): HarnessFactory {
  return async (): Promise<AdapterHarness> => {
    const fake = await startFakeFeishu();
    const stateDir = makeTempDir('sb-contract-feishu-');
    const config = feishuChannelSchema.parse({
      id: 'fs',
      type: 'feishu',
      mode,
      appId: fake.appId,
      appSecret: fake.appSecret,
      domain: fake.url,
      verificationToken: fake.verificationToken,
      ...(mode === 'webhook' ? { listen: '127.0.0.1:0', encryptKey: ENCRYPT_KEY } : {}),
    });
    const adapter = createFeishuChannel(config, { logger: silentLogger(), clock: systemClock, stateDir, connectTimeoutMs: WAIT_MS });
    let starts = 0;

    async function push(event: FeishuEvent): Promise<void> {
      if (mode === 'websocket') {
        const res = await fake.sendEvent(event, { connectTimeoutMs: WAIT_MS, ackTimeoutMs: WAIT_MS });
        if (!res.acked || res.code !== 200) throw new Error(`the Feishu adapter answered the event with ${JSON.stringify(res.ackPayload)}`);
        return;
      }
      const url = adapter.eventsUrl;
      if (url === undefined) throw new Error('the Feishu adapter has no events URL (not started?)');
      const res = await fake.postWebhook(url, { payload: event, encryptKey: ENCRYPT_KEY, verificationToken: fake.verificationToken });
      if (res.status !== 200) throw new Error(`the Feishu adapter answered the event with HTTP ${res.status}`);
    }

    return {
      adapter,
      textLimit: FEISHU_PART_CHARS,
      dropsRedeliveries: true,
      async start(handler) {
        await adapter.start(handler);
        starts++;
        if (mode === 'websocket') await fake.waitForConnection(starts, WAIT_MS);
      },
      async deliver(text): Promise<Delivery> {
        const chatId = newChatId();
        const senderId = newOpenId();
        const messageId = newMessageId();
        const event = fake.messageReceive({ messageId, chatId, chatType: 'p2p', senderOpenId: senderId, text });
        await push(event);
        return { expected: { conversation: chatId, messageId, text, senderId }, redeliver: () => push(event) };
      },
      knownAddress(): ReplyAddress {
        const messageId = newMessageId();
        const chatId = newChatId();
        fake.addMessage({ message_id: messageId, chat_id: chatId, chat_type: 'group' });
        return { channelId: 'fs', conversation: chatId, messageId };
      },
      unknownAddress: (): ReplyAddress => ({ channelId: 'fs', conversation: newChatId(), messageId: newMessageId() }),
      async received(to) {
        return fake
          .sentMessages(to.conversation)
          .filter((m) => m.parent_id === to.messageId)
          .map((m) => ({ id: m.message_id, text: mdText(m.content) }));
      },
      failProgress() {
        for (const route of ['im.messageReaction.create', 'im.messageReaction.delete'] as const) {
          fake.failNext(route, { code: 231001, msg: 'reaction type is invalid.', times: 50 });
        }
        return () => fake.calls.filter((c) => c.injected && c.route.startsWith('im.messageReaction.')).length;
      },
      async close() {
        await adapter.stop().catch(() => undefined);
        await fake.close();
        await removeTempDir(stateDir);
      },
    };
  };
}
