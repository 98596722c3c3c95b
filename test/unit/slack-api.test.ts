/**
 * Slack API helpers without a network: the Bolt → pino logger bridge, the error classification
 * the adapter's never-throw wrappers rely on, and the cached users.info lookup.
 */
import { Writable } from 'node:stream';
import { LogLevel, webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { classifySlackError } from '../../src/channels/slack/api/call.js';
import { createSlackClient, SLACK_RETRY_CONFIG, withTrailingSlash } from '../../src/channels/slack/api/client.js';
import { createSlackLogger } from '../../src/channels/slack/api/logger.js';
import { createUserDirectory, displayNameOf } from '../../src/channels/slack/api/users.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { FakeClock } from '../support/fake-clock.js';

function pinoLines(level: 'trace' | 'debug' | 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger(level, stream), lines };
}

describe('createSlackLogger', () => {
  it('maps SDK levels onto pino (debug → trace), keeps errors as err, and ignores setLevel', () => {
    const { logger, lines } = pinoLines('debug');
    const slack = createSlackLogger(logger);
    expect(slack.getLevel()).toBe(LogLevel.DEBUG);
    // Bolt calls setLevel(INFO) on any logger it gets; our level must not change.
    slack.setLevel(LogLevel.ERROR);
    expect(slack.getLevel()).toBe(LogLevel.ERROR);
    slack.setName('bolt-app');
    slack.debug('http request body', { text: 'x' }); // trace: below debug, dropped
    slack.info('Now connected to Slack');
    slack.warn('http request failed', 'ECONNRESET');
    slack.error('An unhandled error occurred', new Error('boom'));
    expect(lines.map((l) => [l.level, l.msg, l.sdk])).toEqual([
      [30, 'Now connected to Slack', 'bolt-app'],
      [40, 'http request failed ECONNRESET', 'bolt-app'],
      [50, 'An unhandled error occurred', 'bolt-app'],
    ]);
    expect((lines[2]!.err as { message: string }).message).toBe('boom');
  });
});

describe('classifySlackError', () => {
  const platform = (error: string): Error =>
    Object.assign(new Error(`An API error occurred: ${error}`), { code: webApi.ErrorCode.PlatformError, data: { ok: false, error } });

  it('classifies platform, HTTP, rate-limit and network errors', () => {
    expect(classifySlackError(platform('channel_not_found'))).toMatchObject({ kind: 'not_found', code: 'channel_not_found', retryable: false });
    expect(classifySlackError(platform('internal_error'))).toMatchObject({ kind: 'server', code: 'internal_error', retryable: true });
    expect(classifySlackError(platform('ratelimited'))).toMatchObject({ kind: 'rate_limited', code: 'ratelimited', retryable: true });
    expect(classifySlackError(platform('invalid_auth'))).toMatchObject({ kind: 'auth', code: 'invalid_auth', retryable: false });
    expect(classifySlackError(platform('missing_scope'))).toMatchObject({ kind: 'invalid', code: 'missing_scope', retryable: false });
    expect(classifySlackError(Object.assign(new Error('x'), { code: webApi.ErrorCode.HTTPError, statusCode: 503 }))).toMatchObject({
      kind: 'server',
      code: 'http_503',
      retryable: true,
    });
    expect(classifySlackError(Object.assign(new Error('x'), { code: webApi.ErrorCode.HTTPError, statusCode: 404 }))).toMatchObject({
      kind: 'invalid',
      code: 'http_404',
      retryable: false,
    });
    expect(classifySlackError(Object.assign(new Error('x'), { code: webApi.ErrorCode.RateLimitedError, retryAfter: 3 }))).toMatchObject({
      kind: 'rate_limited',
      code: 'ratelimited',
      retryable: true,
      retryAfterMs: 3000,
    });
    expect(classifySlackError(Object.assign(new Error('ECONNREFUSED'), { code: webApi.ErrorCode.RequestError }))).toMatchObject({
      kind: 'network',
      code: 'request_failed',
      retryable: true,
    });
    expect(classifySlackError(new Error('A rate limit was exceeded (url: x, retry-after: 1)'))).toMatchObject({
      kind: 'rate_limited',
      code: 'ratelimited',
      retryable: true,
      retryAfterMs: 1000,
    });
    expect(classifySlackError(new Error('something else'))).toMatchObject({ kind: 'network', code: 'request_failed', retryable: true });
    expect(classifySlackError(new Error('something else'))).not.toHaveProperty('retryAfterMs');
  });

  it('the client gets a bounded retry policy and a base URL ending in /', () => {
    const client = createSlackClient('xoxb-x', { apiUrl: 'http://127.0.0.1:1/api', logger: createSlackLogger(silentLogger()) });
    expect(client.slackApiUrl).toBe('http://127.0.0.1:1/api/');
    expect(SLACK_RETRY_CONFIG).toMatchObject({ retries: 3, maxRetryTime: 30_000 });
    expect(withTrailingSlash('https://slack.com/api/')).toBe('https://slack.com/api/');
  });
});

describe('createUserDirectory', () => {
  /** A stand-in WebClient with just users.info. */
  function fakeClient(answer: (id: string) => Promise<unknown>) {
    const calls: string[] = [];
    const client = {
      // What callSlack calls (the WebClient's typed methods go through it too).
      apiCall: async (method: string, { user }: { user: string }) => {
        if (method !== 'users.info') throw new Error(`unexpected ${method}`);
        calls.push(user);
        return answer(user);
      },
    } as unknown as webApi.WebClient;
    return { client, calls };
  }
  const advance = (clock: FakeClock, ms: number): void => {
    clock.setTimeout(() => undefined, ms);
    clock.fireNext();
  };

  it('prefers display name, then real name, then handle', () => {
    expect(displayNameOf({ name: 'ada', real_name: 'Ada L', profile: { display_name: 'Ada', real_name: 'Ada L' } })).toBe('Ada');
    expect(displayNameOf({ name: 'ada', real_name: 'Ada L', profile: { display_name: '', real_name: 'Ada L' } })).toBe('Ada L');
    expect(displayNameOf({ name: 'ada' })).toBe('ada');
    expect(displayNameOf(undefined)).toBeUndefined();
  });

  it('caches for the TTL, shares concurrent lookups, caches failures briefly and stays bounded', async () => {
    const clock = new FakeClock();
    let fail = false;
    const { client, calls } = fakeClient(async (id) => {
      if (fail) throw Object.assign(new Error('x'), { code: webApi.ErrorCode.PlatformError, data: { error: 'internal_error' } });
      return { ok: true, user: { name: id.toLowerCase() } };
    });
    const users = createUserDirectory({ client, clock, logger: silentLogger(), ttlMs: 1000, failureTtlMs: 100, maxEntries: 2 });

    expect(await Promise.all([users.name('U1'), users.name('U1')])).toEqual(['u1', 'u1']);
    expect(await users.name('U1')).toBe('u1');
    expect(calls).toEqual(['U1']);
    advance(clock, 1001);
    fail = true;
    expect(await users.name('U1')).toBeUndefined(); // expired → refetched → failed
    expect(await users.name('U1')).toBeUndefined(); // failure cached
    expect(calls).toEqual(['U1', 'U1']);
    advance(clock, 101);
    fail = false;
    expect(await users.name('U1')).toBe('u1');
    await users.name('U2');
    await users.name('U3'); // evicts U1 (least recently used)
    await users.name('U1');
    expect(calls).toEqual(['U1', 'U1', 'U1', 'U2', 'U3', 'U1']);
  });

  it('does not wait longer than waitMs for a slow users.info', async () => {
    const clock = new FakeClock();
    let release: (v: unknown) => void = () => undefined;
    const { client } = fakeClient(() => new Promise((r) => (release = r)));
    const users = createUserDirectory({ client, clock, logger: silentLogger(), waitMs: 3000 });
    const pending = users.name('U9');
    await Promise.resolve();
    expect(clock.fireNext()).toBe(3000);
    expect(await pending).toBeUndefined();
    release({ ok: true, user: { name: 'late' } });
    await new Promise((r) => setTimeout(r, 0));
    expect(await users.name('U9')).toBe('late'); // the late answer filled the cache
  });
});
