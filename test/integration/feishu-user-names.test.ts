/**
 * FeishuUserNames (src/channels/feishu/api/users.ts) with the real SDK client against the fake
 * Feishu's contact API: names are looked up once and cached, a refusal is cached and warned about
 * once with the scope to grant, and a slow lookup gives up after `waitMs` without failing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CallContext } from '../../src/channels/feishu/api/call.js';
import { createFeishuClient } from '../../src/channels/feishu/api/client.js';
import { FeishuUserNames } from '../../src/channels/feishu/api/users.js';
import { capturedLog, LEVEL } from '../support/captured-log.js';
import { FakeClock, waitFor } from '../support/fake-clock.js';
import { newOpenId, startFakeFeishu, type FakeFeishu } from '../support/fake-feishu/index.js';

let fake: FakeFeishu | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function namesOn(opts: { waitMs?: number } = {}) {
  fake = await startFakeFeishu();
  const log = capturedLog();
  const clock = new FakeClock();
  const { client, cache } = createFeishuClient({ appId: fake.appId, appSecret: fake.appSecret, domain: fake.url, logger: log.logger, timeoutMs: 5_000 });
  const ctx: CallContext = { cache, clock, logger: log.logger, retryBudgetMs: 0 };
  // waitMs long by default: the fake clock only moves when a test moves it.
  return { fake, log, clock, names: new FeishuUserNames({ client, ctx, clock, waitMs: opts.waitMs ?? 60_000, ttlMs: 60_000 }) };
}

const lookups = (f: FakeFeishu, openId: string) => f.callsTo('contact.user.get').filter((c) => c.params.user_id === openId);

describe('Feishu user names (real SDK, fake contact API)', () => {
  it('answers the contact API’s name, asks once per user while cached, and again after the TTL', async () => {
    const { fake: f, clock, names } = await namesOn();
    const ada = newOpenId();
    f.setUser(ada, 'Ada Lovelace');
    expect(await names.name(ada)).toBe('Ada Lovelace');
    expect(await names.name(ada)).toBe('Ada Lovelace');
    expect(lookups(f, ada)).toHaveLength(1);
    expect(lookups(f, ada)[0]?.query.user_id_type).toBe('open_id');
    f.setUser(ada, 'Ada King');
    clock.advance(60_001);
    expect(await names.name(ada)).toBe('Ada King');
    expect(lookups(f, ada)).toHaveLength(2);
  });

  it('a user outside the contact range (41050): undefined, remembered, one warning that names the scope', async () => {
    const { fake: f, log, names } = await namesOn();
    const [a, b] = [newOpenId(), newOpenId()];
    expect(await names.name(a)).toBeUndefined();
    expect(await names.name(a)).toBeUndefined();
    expect(await names.name(b)).toBeUndefined();
    expect(lookups(f, a)).toHaveLength(1);
    const warnings = log.find('feishu user names unavailable').filter((l) => l.level === LEVEL.warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toContain('contact:user.base:readonly');
    expect(warnings[0]?.err).toBe('feishu_41050');
  });

  it('a slow lookup: undefined once waitMs passed; the late answer still fills the cache', async () => {
    const { fake: f, clock, log, names } = await namesOn({ waitMs: 1_000 });
    const ada = newOpenId();
    f.failNext('contact.user.get', { code: 41050, msg: 'no user authority error', delayMs: 300 });
    const pending = names.name(ada);
    await waitFor(() => clock.pending().length > 0, 5_000, 'the wait timer');
    clock.advance(1_000);
    expect(await pending).toBeUndefined();
    expect(lookups(f, ada)).toHaveLength(0); // still unanswered when name() gave up
    await log.waitForLine('feishu user names unavailable');
    f.setUser(ada, 'Ada Lovelace');
    expect(await names.name(ada)).toBeUndefined(); // the late refusal is cached for the TTL
    expect(lookups(f, ada)).toHaveLength(1);
  });
});
