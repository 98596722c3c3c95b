/**
 * callSlack (src/channels/slack/api/call.ts) with the REAL WebClient against the fake Slack: each
 * error shape @slack/web-api really throws becomes the shared PlatformFailure, and every failure is
 * logged once, by the seam.
 */
import { Writable } from 'node:stream';
import { webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { callSlack, type SlackCallContext } from '../../src/channels/slack/api/call.js';
import { sendFailed } from '../../src/channels/platform-failure.js';
import { captureLogger as captureSdkLogger, startFakeSlack, type FakeSlack } from '../support/fake-slack/index.js';
import { createLogger } from '../../src/log.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

/** A pino logger whose JSON lines are kept for assertions. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger('trace', stream), lines };
}

async function fakeSlack(): Promise<FakeSlack> {
  const fake = await startFakeSlack();
  cleanups.push(() => fake.close());
  return fake;
}

function ctxFor(apiUrl: string, opts: webApi.WebClientOptions = {}): SlackCallContext & { log: ReturnType<typeof capturedLogger> } {
  const log = capturedLogger();
  const client = new webApi.WebClient('xoxb-test', { slackApiUrl: apiUrl, logger: captureSdkLogger(), retryConfig: { retries: 0 }, ...opts });
  return { client, logger: log.logger, log };
}

describe('callSlack: real @slack/web-api errors → PlatformFailure', () => {
  it('an answer resolves ok with the typed response', async () => {
    const fake = await fakeSlack();
    const res = await callSlack(ctxFor(fake.apiUrl), 'auth.test', {});
    expect(res).toMatchObject({ ok: true, value: { ok: true, user_id: 'UBOT', bot_id: 'BBOT' } });
  });

  it('WebAPIPlatformError (ok:false, data.error) → the Slack code, kind by code; logged once by the seam', async () => {
    const fake = await fakeSlack();
    const ctx = ctxFor(fake.apiUrl);
    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    const res = await callSlack(ctx, 'chat.postMessage', { channel: 'C404', text: 'x' });
    expect(res).toMatchObject({ ok: false, kind: 'not_found', code: 'channel_not_found', retryable: false });
    if (res.ok) throw new Error('unreachable');
    expect(sendFailed(res)).toEqual({ status: 'failed', error: 'channel_not_found', retryable: false });
    expect(ctx.log.lines.filter((l) => l.msg === 'slack call failed')).toMatchObject([
      { call: 'chat.postMessage', err: 'channel_not_found', kind: 'not_found' },
    ]);

    fake.failNext('reactions.add', { error: 'internal_error' });
    expect(await callSlack(ctx, 'reactions.add', { channel: 'C1', timestamp: '1.0', name: 'eyes' })).toMatchObject({
      ok: false,
      kind: 'server',
      code: 'internal_error',
      retryable: true,
    });
    fake.failNext('auth.test', { error: 'invalid_auth' });
    expect(await callSlack(ctx, 'auth.test', {})).toMatchObject({ ok: false, kind: 'auth', code: 'invalid_auth', retryable: false });
  });

  it('WebAPIRateLimitedError (rejectRateLimitedCalls) → rate_limited with retryAfterMs from its retryAfter seconds', async () => {
    const fake = await fakeSlack();
    fake.failNext('chat.postMessage', { status: 429, retryAfterSec: 7 });
    const res = await callSlack(ctxFor(fake.apiUrl, { rejectRateLimitedCalls: true }), 'chat.postMessage', { channel: 'C1', text: 'x' });
    expect(res).toEqual({ ok: false, kind: 'rate_limited', code: 'ratelimited', retryable: true, retryAfterMs: 7000, detail: expect.any(String) });
  });

  it("the WebClient's own 429 retries running out → rate_limited with the last Retry-After", async () => {
    const fake = await fakeSlack();
    fake.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });
    const res = await callSlack(ctxFor(fake.apiUrl), 'chat.postMessage', { channel: 'C1', text: 'x' });
    expect(res).toMatchObject({ ok: false, kind: 'rate_limited', code: 'ratelimited', retryable: true, retryAfterMs: 1000 });
  });

  it('WebAPIHTTPError → http_<status>: 5xx is server trouble (retryable)', async () => {
    const fake = await fakeSlack();
    fake.failNext('chat.postMessage', { status: 503 });
    const res = await callSlack(ctxFor(fake.apiUrl), 'chat.postMessage', { channel: 'C1', text: 'x' });
    expect(res).toMatchObject({ ok: false, kind: 'server', code: 'http_503', retryable: true });
  });

  it('WebAPIRequestError (nothing listening) → network, request_failed, retryable', async () => {
    const fake = await fakeSlack();
    const url = fake.apiUrl;
    await fake.close();
    const res = await callSlack(ctxFor(url), 'users.info', { user: 'U1' });
    expect(res).toMatchObject({ ok: false, kind: 'network', code: 'request_failed', retryable: true });
  });
});
