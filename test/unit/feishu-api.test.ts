/**
 * Feishu Open API plumbing without a server: error classification, the retry/refresh loop with a
 * scripted call, the token cache, the SDK logger bridge's redaction, and the channel config schema.
 */
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as lark from '@larksuiteoapi/node-sdk';
import { callFeishu, classify, classifyError } from '../../src/channels/feishu/api/call.js';
import { sdkDomain, TokenCache } from '../../src/channels/feishu/api/client.js';
import { createLarkLogger, describeSdkArg } from '../../src/channels/feishu/api/logger.js';
import { safeFileName } from '../../src/channels/feishu/api/resources.js';
import { parseConfig } from '../../src/config/load.js';
import { feishuChannelSchema } from '../../src/config/schema.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { FakeClock } from '../support/fake-clock.js';

const axiosError = (status: number, data: unknown, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`Request failed with status code ${status}`), { isAxiosError: true, response: { status, data, headers } });

describe('classify / classifyError', () => {
  it('maps Feishu codes and HTTP statuses to the shared PlatformFailure kinds', () => {
    expect(classify(99991663, 400, 'invalid token')).toMatchObject({ kind: 'auth', retryable: true, code: 'feishu_99991663', detail: 'invalid token' });
    expect(classify(99991661, 400, 'missing')).toMatchObject({ kind: 'auth', retryable: true });
    expect(classify(99991400, 400, 'frequency')).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect(classify(0, 429, '')).toMatchObject({ kind: 'rate_limited', code: 'http_429' });
    expect(classify(230011, 400, 'withdrawn')).toMatchObject({ kind: 'not_found', retryable: false });
    expect(classify(231003, 200, 'not found')).toMatchObject({ kind: 'not_found', retryable: false });
    expect(classify(10014, 400, 'secret')).toMatchObject({ kind: 'auth', retryable: false });
    expect(classify(0, 502, '')).toMatchObject({ kind: 'server', retryable: true, code: 'http_502' });
    expect(classify(0, 0, 'ECONNREFUSED')).toMatchObject({ kind: 'network', retryable: true, code: 'request_failed' });
    expect(classify(230001, 400, 'bad param')).toMatchObject({ kind: 'invalid', retryable: false });
  });

  it('reads AxiosErrors (JSON or stream bodies), the rate-limit reset header, token-manager errors and transport errors', async () => {
    expect(await classifyError(axiosError(429, { code: 99991400, msg: 'limit' }, { 'x-ogw-ratelimit-reset': '2' }))).toEqual({
      kind: 'rate_limited',
      retryable: true,
      code: 'feishu_99991400',
      detail: 'limit',
      retryAfterMs: 2000,
    });
    expect(await classifyError(axiosError(400, Readable.from([Buffer.from('{"code":234003,"msg":"File not in msg."}')])))).toMatchObject({
      code: 'feishu_234003',
      detail: 'File not in msg.',
      kind: 'invalid',
    });
    expect(await classifyError(axiosError(503, '<html>bad gateway</html>'))).toMatchObject({ kind: 'server', code: 'http_503', retryable: true });
    expect(await classifyError(new Error('failed to get tenant_access_token, code: 10014, msg: app secret invalid'))).toMatchObject({
      kind: 'auth',
      code: 'feishu_10014',
      retryable: false,
    });
    expect(await classifyError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({
      kind: 'network',
      code: 'request_failed',
      detail: 'ECONNREFUSED: connect ECONNREFUSED',
    });
  });
});

describe('callFeishu', () => {
  const ctxOf = (clock = new FakeClock()) => ({ cache: new TokenCache(), clock, logger: silentLogger() });

  it('a resolved {code != 0} is a failure; {code: 0} and code-less values are successes', async () => {
    const ctx = ctxOf();
    expect(await callFeishu(ctx, 'x', async () => ({ code: 0, data: 1 }))).toEqual({ ok: true, value: { code: 0, data: 1 } });
    expect(await callFeishu(ctx, 'x', async () => ({ stream: true }))).toEqual({ ok: true, value: { stream: true } });
    expect(await callFeishu(ctx, 'x', async () => ({ code: 230001, msg: 'bad' }))).toMatchObject({
      ok: false,
      kind: 'invalid',
      code: 'feishu_230001',
      detail: 'bad',
    });
  });

  it('a rejected token clears the cache and is retried exactly once', async () => {
    const ctx = ctxOf();
    await ctx.cache.set('t', 'old');
    let calls = 0;
    const res = await callFeishu(ctx, 'x', async () => {
      calls++;
      throw axiosError(400, { code: 99991663, msg: 'invalid' });
    });
    expect(calls).toBe(2);
    expect(res).toMatchObject({ ok: false, kind: 'auth', code: 'feishu_99991663', retryable: true });
    expect(await ctx.cache.get('t')).toBeUndefined();
  });

  it('rate limits back off 0.5 s, 1 s, 2 s … within the budget; transient errors only with retryTransient', async () => {
    const clock = new FakeClock();
    const ctx = { ...ctxOf(clock), retryBudgetMs: 3_000 };
    let calls = 0;
    let settled = false;
    const pending = callFeishu(ctx, 'x', async () => {
      calls++;
      throw axiosError(429, { code: 99991400, msg: 'limit' });
    }).finally(() => (settled = true));
    const waits: number[] = [];
    while (!settled) {
      await new Promise((r) => setImmediate(r));
      if (clock.pending().length > 0) waits.push(clock.fireNext());
    }
    expect(await pending).toMatchObject({ ok: false, kind: 'rate_limited' });
    // Waits 0.5 s + 1 s; the next 2 s wait would end past the 3 s budget.
    expect(waits).toEqual([500, 1_000]);
    expect(calls).toBe(3);

    let flaky = 0;
    expect(
      await callFeishu(ctxOf(), 'x', async () => {
        flaky++;
        throw axiosError(503, {});
      }),
    ).toMatchObject({ kind: 'server' });
    expect(flaky).toBe(1);
  });
});

describe('TokenCache and domains', () => {
  it('expires entries and clears', async () => {
    const cache = new TokenCache();
    await cache.set('a', 1, Date.now() - 1, { namespace: 'app' });
    await cache.set('b', 2, undefined, { namespace: 'app' });
    expect(await cache.get('a', { namespace: 'app' })).toBeUndefined();
    expect(await cache.get('b', { namespace: 'app' })).toBe(2);
    expect(await cache.get('b', { namespace: 'other' })).toBeUndefined();
    cache.clear();
    expect(await cache.get('b', { namespace: 'app' })).toBeUndefined();
  });

  it('maps feishu / lark / URLs', () => {
    expect(sdkDomain('feishu')).toBe(lark.Domain.Feishu);
    expect(sdkDomain('lark')).toBe(lark.Domain.Lark);
    expect(sdkDomain('http://127.0.0.1:9/')).toBe('http://127.0.0.1:9');
  });
});

describe('SDK logger bridge', () => {
  it('summarises errors and never shows secrets or request bodies', () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = createLarkLogger(createLogger('trace', stream), ['the-app-secret', 'the-verification-token']);
    // What the token manager logs on failure: the raw AxiosError, whose config carries the secret.
    const tokenErr = Object.assign(axiosError(400, { code: 10014, msg: 'app secret invalid' }), {
      config: { method: 'post', url: 'https://open.feishu.cn/open-apis/auth/v3/tenant_access_token/internal', data: '{"app_secret":"the-app-secret"}' },
    });
    log.error([tokenErr]);
    log.error([[{ message: 'x', config: { data: { content: 'private text' } }, response: { status: 400, data: { code: 1, msg: 'm' } } }]]);
    log.warn(['event', { token: 'the-verification-token', header: { token: 'the-verification-token' }, n: 1 }]);
    log.debug(['data: {"token":"the-verification-token"}']);
    const all = lines.join('');
    expect(all).not.toContain('the-app-secret');
    expect(all).not.toContain('the-verification-token');
    expect(all).not.toContain('private text');
    expect(all).toContain('HTTP 400 — code 10014: app secret invalid');
    // API errors go to debug (the adapter logs its own verdict), other warnings stay warn.
    expect(lines.map((l) => JSON.parse(l).level)).toEqual([20, 20, 40, 10]);
    expect(describeSdkArg(['a', null, 3])).toBe('a 3');
  });
});

describe('safeFileName', () => {
  it('keeps names inside the dir', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('..')).toBe('_');
    expect(safeFileName('.env')).toBe('_env');
    expect(safeFileName('报告 v2.pdf')).toBe('报告 v2.pdf');
    expect(safeFileName('a\u0000b:c?.txt')).toBe('a_b_c_.txt');
    expect(safeFileName(`${'x'.repeat(300)}.tar.gz`)).toMatch(/^x+\.gz$/);
    expect(safeFileName(`${'x'.repeat(300)}.tar.gz`).length).toBe(150);
  });
});

describe('feishu channel config', () => {
  const base = { id: 'fs', type: 'feishu', appId: 'cli_0123456789abcdef', appSecret: 's' };

  it('defaults: long connection, feishu domain, progress and file settings', () => {
    expect(feishuChannelSchema.parse(base)).toEqual({
      ...base,
      mode: 'websocket',
      domain: 'feishu',
      listen: '127.0.0.1:3001',
      path: '/feishu/events',
      access: { admins: [], approvers: 'requester-or-admins' },
      progress: { enabled: true, working: 'OnIt', done: 'DONE', failed: 'CrossMark' },
      files: { download: true, maxBytes: 20 * 1024 * 1024, downloadTimeoutMs: 30_000 },
    });
  });

  it('webhook mode needs a verification token; the long connection needs a cli_+16 hex app id', () => {
    expect(feishuChannelSchema.safeParse({ ...base, mode: 'webhook' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['verificationToken']);
    expect(feishuChannelSchema.safeParse({ ...base, appId: 'cli_short' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['appId']);
    expect(feishuChannelSchema.safeParse({ ...base, appId: 'cli_short', mode: 'webhook', verificationToken: 't' }).success).toBe(true);
    expect(feishuChannelSchema.safeParse({ ...base, domain: 'larksuite' }).success).toBe(false);
  });

  it('is a selectable channel type; secrets come from env:NAME', () => {
    const config = parseConfig(
      {
        channels: [
          {
            id: 'fs',
            type: 'feishu',
            appId: 'env:FS_ID',
            appSecret: 'env:FS_SECRET',
            domain: 'lark',
            access: { users: ['ou_1'], conversations: ['oc_1'], admins: ['ou_1'] },
          },
        ],
        dispatchers: [{ id: 'main', bindings: [{ channel: 'fs', conversation: 'oc_1' }] }],
      },
      { env: { FS_ID: 'cli_0123456789abcdef', FS_SECRET: 'shh' }, cwd: '/tmp' },
    );
    expect(config.channels[0]).toMatchObject({ type: 'feishu', appId: 'cli_0123456789abcdef', appSecret: 'shh', domain: 'lark' });
  });
});
