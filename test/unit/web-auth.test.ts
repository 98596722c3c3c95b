/**
 * The web chat's access token off loopback (issue 14 §5), in the fast tier: the real web channel
 * listening on every interface with `auth.token`, the real Dispatcher over the in-memory runtime.
 * The config refuses an exposed web chat without a token; the same login in Chromium:
 * test/e2e/browser.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { openMemoryStateStore } from '../../src/state/memory.js';
import { waitFor } from '../support/fake-clock.js';
import { startFastDispatcher, type FastTier } from '../support/fast-dispatcher.js';
import { FakeRuntime } from '../support/fake-runtime.js';

const TOKEN = 'a-long-access-token-0123456789';
let f: FastTier | undefined;

afterEach(async () => {
  await f?.dispatcher.stop();
  await f?.web.stop();
  await f?.store.close();
  f = undefined;
});

async function exposed(): Promise<FastTier & { base: string }> {
  const store = openMemoryStateStore();
  const runtime = new FakeRuntime();
  const { web, dispatcher } = await startFastDispatcher(store, runtime, {}, { listen: '0.0.0.0:0', auth: { token: TOKEN } });
  f = { store, runtime, web, dispatcher };
  return { ...f, base: web.url };
}

const noRedirect = { redirect: 'manual' } as const;

describe('web chat access token', () => {
  it('config: listening off loopback needs auth.token (with the fix in the message); a short token is refused', () => {
    const base = { dispatchers: [{ id: 'main', cwd: '/tmp', bindings: [{ channel: 'local' }] }] };
    const parse = (channel: Record<string, unknown>) => () =>
      parseConfig({ ...base, channels: [{ id: 'local', type: 'web', ...channel }] }, { file: 'c.json' });
    expect(parse({ listen: '0.0.0.0:8787' })).toThrow(ConfigError);
    expect(parse({ listen: '0.0.0.0:8787' })).toThrow(
      /channels\[0\]\.auth: the web chat listens off loopback.*fix: add "auth": \{"token": "env:SWITCHBOARD_WEB_TOKEN"\}.*or listen on "127\.0\.0\.1:<port>"/s,
    );
    expect(parse({ listen: '0.0.0.0:8787', auth: { token: 'short' } })).toThrow(/at least 16 characters/);
    expect(parse({ listen: '0.0.0.0:8787', auth: { token: TOKEN } })).not.toThrow();
    expect(parse({ listen: '127.0.0.1:8787' })).not.toThrow();
    expect(parse({ listen: 'localhost:8787' })).not.toThrow();
  });

  it('the API answers 401 without the token, 200 with `Authorization: Bearer`; health endpoints stay open', async () => {
    const { base } = await exposed();
    const none = await fetch(`${base}/api/conversations`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="switchboard"');
    expect(await none.json()).toMatchObject({ error: 'unauthorized' });
    expect((await fetch(`${base}/api/conversations`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await fetch(`${base}/api/conversations`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    // A message without the token is refused before it is read, and never queued.
    const post = await fetch(`${base}/api/conversations/general/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hi' }),
    });
    expect(post.status).toBe(401);
    expect(f!.store.listQueue('main')).toHaveLength(0);
    expect((await fetch(`${base}/api/events?conversation=general`)).status).toBe(401);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // Off loopback the Host guard is the token's job: any Host name with the token is served.
    expect((await fetch(`${base}/api/conversations`, { headers: { authorization: `Bearer ${TOKEN}`, host: 'chat.example.com' } })).status).toBe(200);
  });

  it('the page redirects to the login form; signing in sets an HttpOnly cookie (not the token) that opens the page and posts', async () => {
    const { base } = await exposed();
    const page = await fetch(`${base}/`, noRedirect);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login');
    const form = await fetch(`${base}/login`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="token"');

    const login = (token: string) =>
      fetch(`${base}/login`, {
        ...noRedirect,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
    const wrong = await login('not-the-token-at-all');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That is not the access token.');

    const right = await login(TOKEN);
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/');
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^switchboard_web=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;

    expect((await fetch(`${base}/`, { headers: { cookie: session } })).status).toBe(200);
    const post = await fetch(`${base}/api/conversations/general/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: session },
      body: JSON.stringify({ text: 'hello behind the token' }),
    });
    expect(post.status).toBe(202);
    await waitFor(() => f!.store.listWebMessages('local', 'general').some((m) => m.role === 'assistant'), 10_000, 'the answer');
    // A forged cookie value is no session.
    expect((await fetch(`${base}/api/conversations`, { headers: { cookie: 'switchboard_web=forged' } })).status).toBe(401);
  });

  it('the one-click link /?token= signs in and drops the token from the address; a wrong one shows the form', async () => {
    const { base } = await exposed();
    const ok = await fetch(`${base}/?token=${encodeURIComponent(TOKEN)}`, noRedirect);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/');
    expect(ok.headers.get('set-cookie')).toMatch(/^switchboard_web=/);
    const bad = await fetch(`${base}/?token=nope`, noRedirect);
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('name="token"');
  });
});
