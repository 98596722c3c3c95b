/**
 * GET /healthz and GET /readyz on the real service (real codex, scripted model):
 * served by the web channel, and by the `health.listen` listener when there is no web channel.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Service } from '../../src/service.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { startFakeSlack } from '../support/fake-slack/index.js';
import { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET } from '../support/slack-service.js';
import { mainDispatcher, startTestService, startWithTestLog, testCodexConfig, type TestService } from '../support/service.js';

let env: CodexTestEnv;
const toStop: Array<{ stop(): Promise<void> }> = [];

beforeEach(async () => {
  env = await codexTestEnv();
});

afterEach(async () => {
  await Promise.all(toStop.splice(0).map((s) => s.stop()));
  await env.cleanup();
});

interface ReadyBody {
  status: string;
  dispatchers: Array<{ id: string; status: string }>;
  channels: Array<{ id: string; type: string; state: string }>;
}

async function getJson(url: string): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

/** Polls /readyz until its HTTP status is `want`; returns that answer. */
async function waitForReadyz(base: string, want: number, timeoutMs = 30_000): Promise<{ status: number; body: ReadyBody }> {
  const deadline = Date.now() + timeoutMs;
  let last: { status: number; body: ReadyBody } | undefined;
  for (;;) {
    last = await getJson(`${base}/readyz`);
    if (last.status === want) return last;
    if (Date.now() > deadline) throw new Error(`/readyz stayed ${last.status}: ${JSON.stringify(last.body)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}


/**
 * Starts the service with only a Slack channel (HTTP mode, against a local fake Slack; no web
 * channel) and `health.listen` on a free port; both are stopped after the test.
 */
async function startSlackOnlyService(codex: Record<string, unknown>): Promise<Service> {
  const fake = await startFakeSlack({});
  toStop.push({ stop: () => fake.close() });
  const config = parseConfig(
    {
      stateDir: env.stateDir,
      codex,
      channels: [{ id: 'slack', type: 'slack', mode: 'http', botToken: SLACK_BOT_TOKEN, signingSecret: SLACK_SIGNING_SECRET, listen: '127.0.0.1:0', apiUrl: fake.apiUrl }],
      dispatchers: [mainDispatcher(env, 'slack')],
      health: { listen: '127.0.0.1:0' },
    },
    { file: '<test>' },
  );
  const service = await startWithTestLog(config);
  toStop.push(service);
  return service;
}
describe('health endpoints on the web channel', () => {
  it('answers /healthz and /readyz with every dispatcher and channel, and 503 while the runtime restarts', async () => {
    const s: TestService = await startTestService(env);
    toStop.push(s);

    const healthz = await fetch(`${s.url}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ status: 'ok' });

    const ready = await getJson(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      dispatchers: [{ id: 'main', status: 'ready' }],
      channels: [{ id: 'local', type: 'web', state: 'connected' }],
    });
    expect(s.service.readiness().ready).toBe(true);

    // Kill the codex child: the dispatcher leaves `ready` until the runtime restarts it.
    const pid = s.service.dispatchers.get('main')!.status().pid;
    expect(pid).toBeTypeOf('number');
    process.kill(pid!, 'SIGKILL');
    const down = await waitForReadyz(s.url, 503);
    expect(down.body.status).toBe('not_ready');
    expect(down.body.dispatchers[0]!.status).not.toBe('ready');
    expect(down.body.channels).toEqual([{ id: 'local', type: 'web', state: 'connected' }]);

    const back = await waitForReadyz(s.url, 200);
    expect(back.body.dispatchers).toEqual([{ id: 'main', status: 'ready' }]);
    expect(s.service.dispatchers.get('main')!.status().pid).not.toBe(pid);

    const post = await fetch(`${s.url}/readyz`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe('health.listen listener', () => {
  it('serves /healthz and /readyz without a web channel, 503 after the codex child is killed', async () => {
    const service = await startSlackOnlyService(testCodexConfig(env));
    const health = service.health;
    expect(health).not.toBeNull();
    const base = health!.url;

    const healthz = await fetch(`${base}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ status: 'ok' });
    const ready = await waitForReadyz(base, 200);
    expect(ready.body).toEqual({
      status: 'ready',
      dispatchers: [{ id: 'main', status: 'ready' }],
      channels: [{ id: 'slack', type: 'slack', state: 'connected' }],
    });
    expect((await fetch(`${base}/api/conversations`)).status).toBe(404);

    process.kill(service.dispatchers.get('main')!.status().pid!, 'SIGKILL');
    const down = await waitForReadyz(base, 503);
    expect(down.body.dispatchers[0]!.status).not.toBe('ready');
    await waitForReadyz(base, 200);

    await service.stop();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('answers 503 while the runtime never became ready (codex cannot start)', async () => {
    const service = await startSlackOnlyService(testCodexConfig(env, { bin: `${env.workDir}/no-such-codex` }));
    const base = service.health!.url;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const down = await getJson(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('not_ready');
    expect(down.body.dispatchers).toHaveLength(1);
    expect(down.body.dispatchers[0]!.status).not.toBe('ready');
    expect(down.body.channels).toEqual([{ id: 'slack', type: 'slack', state: 'connected' }]);
  });
});
