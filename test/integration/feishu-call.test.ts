/**
 * callFeishu (src/channels/feishu/api/call.ts) with the REAL @larksuiteoapi/node-sdk client against
 * the fake Feishu: the SDK's real answers — a rejected AxiosError with `{code, msg}`, a resolved
 * `{code != 0}`, the token manager's own error, no answer at all — become the shared PlatformFailure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { callFeishu, type CallContext } from '../../src/channels/feishu/api/call.js';
import { createFeishuClient } from '../../src/channels/feishu/api/client.js';
import { reply } from '../../src/channels/feishu/api/messages.js';
import { sendFailed } from '../../src/channels/platform-failure.js';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { newChatId, newMessageId, startFakeFeishu, type FakeFeishu } from '../support/fake-feishu/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

async function fakeFeishu(): Promise<FakeFeishu> {
  const fake = await startFakeFeishu();
  cleanups.push(() => fake.close());
  return fake;
}

/** A real SDK client on the fake; no waiting out rate limits (budget 0), so each failure comes back at once. */
function apiFor(fake: FakeFeishu, domain = fake.url) {
  const { client, cache } = createFeishuClient({ appId: fake.appId, appSecret: fake.appSecret, domain, logger: silentLogger(), timeoutMs: 2_000 });
  const ctx: CallContext = { cache, clock: systemClock, logger: silentLogger(), retryBudgetMs: 0 };
  return { client, ctx };
}

function seededMessage(fake: FakeFeishu): string {
  const id = newMessageId();
  fake.addMessage({ message_id: id, chat_id: newChatId(), chat_type: 'group' });
  return id;
}

const replyArgs = (messageId: string) => ({
  messageId,
  msgType: 'text' as const,
  content: JSON.stringify({ text: 'x' }),
  inThread: false,
  uuid: `u-${Math.random()}`,
});

describe('callFeishu: real SDK answers → PlatformFailure', () => {
  it('HTTP 400 with a withdrawn-message code → not_found, feishu_<code>; SendResult derived by sendFailed', async () => {
    const fake = await fakeFeishu();
    const { client, ctx } = apiFor(fake);
    fake.failNext('im.message.reply', { code: 230011, msg: 'The message was withdrawn.' });
    const res = await reply(client, ctx, replyArgs(seededMessage(fake)));
    expect(res).toEqual({ ok: false, kind: 'not_found', retryable: false, code: 'feishu_230011', detail: 'The message was withdrawn.' });
    if (res.ok) throw new Error('unreachable');
    expect(sendFailed(res)).toEqual({ status: 'failed', error: 'feishu_230011', retryable: false });
  });

  it('HTTP 200 with a non-zero code (the SDK resolves) → invalid', async () => {
    const fake = await fakeFeishu();
    const { client, ctx } = apiFor(fake);
    fake.failNext('im.messageReaction.create', { code: 231001, msg: 'reaction type is invalid', httpStatus: 200 });
    const id = seededMessage(fake);
    const res = await callFeishu(ctx, 'im.messageReaction.create', () =>
      client.im.messageReaction.create({ path: { message_id: id }, data: { reaction_type: { emoji_type: 'NOPE' } } }),
    );
    expect(res).toMatchObject({ ok: false, kind: 'invalid', retryable: false, code: 'feishu_231001', detail: 'reaction type is invalid' });
  });

  it('HTTP 429 with x-ogw-ratelimit-reset → rate_limited with retryAfterMs', async () => {
    const fake = await fakeFeishu();
    const { client, ctx } = apiFor(fake);
    fake.failNext('im.message.reply', { httpStatus: 429, headers: { 'x-ogw-ratelimit-reset': '3' } });
    const res = await reply(client, ctx, replyArgs(seededMessage(fake)));
    expect(res).toMatchObject({ ok: false, kind: 'rate_limited', retryable: true, code: 'feishu_99991400', retryAfterMs: 3000 });
  });

  it('HTTP 5xx → server, retryable', async () => {
    const fake = await fakeFeishu();
    const { client, ctx } = apiFor(fake);
    fake.failNext('im.message.reply', { httpStatus: 503, times: 3 });
    expect(await reply(client, ctx, replyArgs(seededMessage(fake)))).toMatchObject({ ok: false, kind: 'server', retryable: true });
  });

  it('a rejected tenant token is refreshed once and the call succeeds; rejected app credentials are auth, not retryable', async () => {
    const fake = await fakeFeishu();
    const { client, ctx } = apiFor(fake);
    fake.failNext('im.message.reply', { code: 99991663, msg: 'Invalid access token for authorization.' });
    expect(await reply(client, ctx, replyArgs(seededMessage(fake)))).toMatchObject({ ok: true });
    expect(fake.callsTo('im.message.reply')).toHaveLength(2);

    const fresh = apiFor(fake);
    fake.failNext('auth.tenantAccessToken', { code: 10014, msg: 'app secret invalid', httpStatus: 200 });
    expect(await reply(fresh.client, fresh.ctx, replyArgs(seededMessage(fake)))).toMatchObject({
      ok: false,
      kind: 'auth',
      retryable: false,
      code: 'feishu_10014',
    });
  });

  it('no answer (nothing listening) → network, request_failed, retryable', async () => {
    const fake = await fakeFeishu();
    const { client, ctx } = apiFor(fake);
    await fake.close();
    expect(await reply(client, ctx, replyArgs('om_x'))).toMatchObject({ ok: false, kind: 'network', retryable: true, code: 'request_failed' });
  });
});
