/**
 * Contract harnesses for the Slack adapter: the real Bolt App and WebClient against the fake Slack,
 * in Socket Mode (events over the fake's WebSocket) or over HTTP (signed Events API POSTs to the
 * adapter's own receiver). What the platform received is the fake's record of successful
 * `chat.postMessage` calls in the address's thread. The fake knows only the conversations C1 and D1,
 * so the unknown address (C404) gets `channel_not_found` like from Slack; progress failures are
 * injected `missing_scope` answers to reactions.*.
 */
import { systemClock } from '../../../src/clock.js';
import { createSlackChannel } from '../../../src/channels/slack/index.js';
import { SLACK_PART_LIMIT } from '../../../src/channels/slack/format/outbound.js';
import { slackChannelSchema } from '../../../src/config/schema.js';
import { silentLogger } from '../../../src/log.js';
import type { ReplyAddress } from '../../../src/state/types.js';
import { dmMessage, newEventId, startFakeSlack, type SlackEvent } from '../fake-slack/index.js';
import type { LiveAdapterHarness } from '../adapter-contract-live.js';
import type { Delivery } from './harness.js';

const SIGNING_SECRET = 'contract-signing-secret';
const WAIT_MS = 15_000;

export function slackHarness(mode: 'socket' | 'http'): () => Promise<LiveAdapterHarness> {
  return async (): Promise<LiveAdapterHarness> => {
    const fake = await startFakeSlack({ users: { U1: { name: 'ada', real_name: 'Ada Lovelace' } }, channels: ['C1', 'D1'] });
    const config = slackChannelSchema.parse({
      id: 'team',
      type: 'slack',
      mode,
      botToken: 'xoxb-contract',
      apiUrl: fake.apiUrl,
      ...(mode === 'socket' ? { appToken: 'xapp-1-contract' } : { signingSecret: SIGNING_SECRET, listen: '127.0.0.1:0' }),
    });
    const adapter = createSlackChannel(config, { logger: silentLogger(), clock: systemClock });
    let starts = 0;

    async function push(event: SlackEvent, eventId: string, retryNum: number): Promise<void> {
      if (mode === 'socket') {
        const res = await fake.sendEvent(event, { eventId, retryNum, connectTimeoutMs: WAIT_MS, ackTimeoutMs: WAIT_MS });
        if (!res.acked) throw new Error('the Slack adapter did not ack the event');
        return;
      }
      const url = adapter.eventsUrl;
      if (url === undefined) throw new Error('the Slack adapter has no events URL (not started?)');
      const res = await fake.postEvent(url, SIGNING_SECRET, fake.eventCallback(event, { eventId }), retryNum > 0 ? { retryNum } : {});
      if (res.status !== 200) throw new Error(`the Slack adapter answered the event with HTTP ${res.status}`);
    }

    return {
      adapter,
      textLimit: SLACK_PART_LIMIT,
      dropsRedeliveries: false,
      async start(handler) {
        await adapter.start(handler);
        starts++;
        if (mode === 'socket') await fake.waitForConnection(starts, WAIT_MS);
      },
      async deliver(text): Promise<Delivery> {
        const ts = fake.nextTs();
        const event = dmMessage({ user: 'U1', channel: 'D1', text, ts });
        const eventId = newEventId();
        await push(event, eventId, 0);
        return { expected: { conversation: 'D1', messageId: ts, text, senderId: 'U1' }, redeliver: () => push(event, eventId, 1) };
      },
      knownAddress(): ReplyAddress {
        const ts = fake.nextTs();
        fake.addMessage({ channel: 'C1', ts, user: 'U1', text: 'a question' });
        return { channelId: 'team', conversation: 'C1', messageId: ts };
      },
      unknownAddress: (): ReplyAddress => ({ channelId: 'team', conversation: 'C404', messageId: fake.nextTs() }),
      async received(to) {
        const threadTs = to.thread ?? to.messageId;
        return fake
          .callsTo('chat.postMessage')
          .filter((c) => c.response.ok === true && c.body.channel === to.conversation && c.body.thread_ts === threadTs)
          .map((c) => ({ id: String(c.response.ts), text: String(c.body.text) }));
      },
      async shown(to) {
        const threadTs = to.thread ?? to.messageId;
        return fake
          .messages(to.conversation)
          .filter((m) => m.user === fake.botUserId && m.thread_ts === threadTs)
          .map((m) => ({ id: m.ts, text: m.text ?? '' }));
      },
      failProgress() {
        for (const method of ['reactions.add', 'reactions.remove']) fake.failNext(method, { error: 'missing_scope', times: 50 });
        return () => fake.calls.filter((c) => c.injected && c.method.startsWith('reactions.')).length;
      },
      async close() {
        await adapter.stop().catch(() => undefined);
        await fake.close();
      },
    };
  };
}
