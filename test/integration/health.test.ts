/**
 * GET /healthz and GET /readyz on the real service (real codex, scripted model):
 * served by the web channel, and by the `health.listen` listener when there is no web channel.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Service } from '../../src/service.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { startFakeFeishu } from '../support/fake-feishu/index.js';
import { startFakeSlack } from '../support/fake-slack/index.js';
import { SLACK_APP_TOKEN, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET } from '../support/slack-service.js';
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

/** Polls /readyz until its HTTP status is `want` and channel `id` is in `state`; returns that answer. */
async function waitForChannel(base: string, want: number, id: string, state: string, timeoutMs = 30_000): Promise<{ status: number; body: ReadyBody }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await getJson(`${base}/readyz`);
    if (last.status === want && last.body.channels.some((c) => c.id === id && c.state === state)) return last;
    if (Date.now() > deadline) throw new Error(`/readyz never answered ${want} with channel ${id} ${state}; last: ${last.status} ${JSON.stringify(last.body)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Starts the service with only `channel` (no web channel), its dispatcher bound to it, and
 * `health.listen` on a free port; stopped after the test.
 */
async function startServiceWith(channel: Record<string, unknown>, codex: Record<string, unknown>): Promise<Service> {
  const config = parseConfig(
    {
      stateDir: env.stateDir,
      codex,
      channels: [channel],
      dispatchers: [mainDispatcher(env, channel.id as string)],
      health: { listen: '127.0.0.1:0' },
    },
    { file: '<test>' },
  );
  const service = await startWithTestLog(config);
  toStop.push(service);
  return service;
}

/**
 * Starts the service with only a Slack channel (HTTP mode, against a local fake Slack; no web
 * channel) and `health.listen` on a free port; both are stopped after the test.
 */
async function startSlackOnlyService(codex: Record<string, unknown>): Promise<Service> {
  const fake = await startFakeSlack({});
  toStop.push({ stop: () => fake.close() });
  return startServiceWith(
    { id: 'slack', type: 'slack', mode: 'http', botToken: SLACK_BOT_TOKEN, signingSecret: SLACK_SIGNING_SECRET, listen: '127.0.0.1:0', apiUrl: fake.apiUrl },
    codex,
  );
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
      storage: { writable: true, error: null },
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
      storage: { writable: true, error: null },
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

describe('/readyz follows the live platform connection', () => {
  it('Slack Socket Mode: 503 "reconnecting" while the WebSocket is down, 200 once Slack says hello again', async () => {
    const fake = await startFakeSlack({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN });
    // The service first: a Socket Mode client still running would try to reconnect to a closed fake.
    let service: Service | undefined;
    toStop.push({
      stop: async () => {
        await service?.stop();
        await fake.close();
      },
    });
    service = await startServiceWith(
      { id: 'team', type: 'slack', botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN, apiUrl: fake.apiUrl },
      testCodexConfig(env),
    );
    const base = service.health!.url;
    const up = await waitForReadyz(base, 200);
    expect(up.body.channels).toEqual([{ id: 'team', type: 'slack', state: 'connected' }]);
    const connections = fake.connectionCount;

    fake.refuseConnections(true);
    await fake.disconnectSockets('terminate');
    const down = await waitForChannel(base, 503, 'team', 'reconnecting');
    expect(down.body.status).toBe('not_ready');
    expect(down.body.channels).toEqual([{ id: 'team', type: 'slack', state: 'reconnecting' }]);
    expect(down.body.dispatchers).toEqual([{ id: 'main', status: 'ready' }]);

    // The SDK retries after clientPingTimeout (5 s); the new connection counts once Slack's hello arrived.
    fake.refuseConnections(false);
    const back = await waitForChannel(base, 200, 'team', 'connected');
    expect(back.body.channels).toEqual([{ id: 'team', type: 'slack', state: 'connected' }]);
    expect(fake.connectionCount).toBeGreaterThan(connections);
  });

  it('Feishu long connection: 503 "reconnecting" while the connection is lost, 200 once the SDK re-established it', async () => {
    const fake = await startFakeFeishu();
    let service: Service | undefined;
    toStop.push({
      stop: async () => {
        await service?.stop();
        await fake.close();
      },
    });
    service = await startServiceWith(
      {
        id: 'lark',
        type: 'feishu',
        mode: 'websocket',
        domain: fake.url,
        appId: fake.appId,
        appSecret: fake.appSecret,
        verificationToken: fake.verificationToken,
      },
      testCodexConfig(env),
    );
    const base = service.health!.url;
    const up = await waitForReadyz(base, 200);
    expect(up.body.channels).toEqual([{ id: 'lark', type: 'feishu', state: 'connected' }]);
    const connections = fake.connectionCount;

    // The fake's ClientConfig makes the SDK retry every 0.2 s; refused upgrades keep it reconnecting.
    fake.refuseConnections(true);
    await fake.disconnectSockets('terminate');
    const down = await waitForChannel(base, 503, 'lark', 'reconnecting');
    expect(down.body.status).toBe('not_ready');
    expect(down.body.channels).toEqual([{ id: 'lark', type: 'feishu', state: 'reconnecting' }]);
    expect(down.body.dispatchers).toEqual([{ id: 'main', status: 'ready' }]);

    fake.refuseConnections(false);
    const back = await waitForChannel(base, 200, 'lark', 'connected');
    expect(back.body.channels).toEqual([{ id: 'lark', type: 'feishu', state: 'connected' }]);
    expect(fake.connectionCount).toBeGreaterThan(connections);
  });
});
