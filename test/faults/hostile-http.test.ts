/**
 * Fault: hostile HTTP and slow clients on every listener of one service (`switchboard serve`): the
 * web chat (with an access token), the Slack Events API receiver (HTTP mode, fake Slack), the
 * Feishu webhook (fake Feishu, encrypted and signed) and the health listener. Each gets garbage
 * bodies, wrong content types, a huge body, bad signatures / tokens, odd methods and paths, an
 * oversized header, a burst of concurrent connections and slowloris clients. The service must stay
 * up, answer no 5xx, and then answer a normal request on each listener (a web message, a Slack
 * mention and a Feishu message answered by the agent; /healthz and /readyz 200).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScriptFn } from '../../src/demo/script-types.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { killLeftoverClis, pollUntil } from '../support/e2e-cli.js';
import { startFakeFeishu, type FakeFeishu } from '../support/fake-feishu/index.js';
import { appMention, startFakeSlack, type FakeSlack } from '../support/fake-slack/index.js';
import { stripHeader } from '../support/service.js';
import { faultService, type FaultService } from './support/fault-service.js';
import { count, emptyCounts, formatCounts, rawRequest, slowClients, type RawRequest, type StatusCounts } from './support/hostile.js';
import { reportFault } from './support/report.js';
import { bySize } from './support/size.js';

const CONCURRENT = bySize(40, 300);
const SLOW = bySize(20, 100);
const SLOW_FOR_MS = bySize(1500, 8000);
const HUGE_BYTES = bySize(4, 32) * 1024 * 1024;
const WEB_TOKEN = 'hostile-web-token-0123456789abcdef';
const SIGNING_SECRET = 'hostile-signing-secret';
const BOT_TOKEN = 'xoxb-hostile-bot-token';
const ENCRYPT_KEY = 'hostile-encrypt-key';

const echo: ScriptFn = (req) => ({ kind: 'reply', text: `echo: ${stripHeader(req.lastUserText)}` });

let env: CodexTestEnv | undefined;
let slack: FakeSlack | undefined;
let feishu: FakeFeishu | undefined;
let svc: FaultService | undefined;

afterAll(async () => {
  await svc?.stop().catch(() => undefined);
  await killLeftoverClis();
  await slack?.close();
  await feishu?.close();
  await env?.cleanup();
});

/** One listener under attack: its origin, the path that takes POSTs, and its own forged requests. */
interface Target {
  name: string;
  origin: string;
  postPath: string;
  /** Requests with bad credentials for this listener. */
  forged: Record<string, RawRequest>;
}

function garbage(n: number): Buffer {
  return randomBytes(n);
}

/** The same battery for every listener: name → request. */
function battery(t: Target): Record<string, RawRequest> {
  const p = t.postPath;
  return {
    'garbage json': { path: p, headers: { 'content-type': 'application/json' }, body: garbage(4096) },
    'garbage, no content type': { path: p, body: garbage(1024) },
    'json as text/plain': { path: p, headers: { 'content-type': 'text/plain' }, body: '{"text":"hi"}' },
    'multipart junk': { path: p, headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\njunk' },
    'form junk': { path: p, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'payload=%%%7B' },
    'json null': { path: p, headers: { 'content-type': 'application/json' }, body: 'null' },
    'json array': { path: p, headers: { 'content-type': 'application/json' }, body: '[1,2,3]' },
    'deep json': { path: p, headers: { 'content-type': 'application/json' }, body: `${'['.repeat(50_000)}${']'.repeat(50_000)}` },
    'huge body': { path: p, headers: { 'content-type': 'application/json' }, body: Buffer.alloc(HUGE_BYTES, 0x61) },
    'lying content-length': { path: p, headers: { 'content-type': 'application/json', 'content-length': '100000' }, body: '{}', timeoutMs: 3000 },
    PUT: { method: 'PUT', path: p, body: '{}' },
    DELETE: { method: 'DELETE', path: p },
    'GET the post path': { method: 'GET', path: p },
    'path traversal': { method: 'GET', path: '/../../../../etc/passwd' },
    'encoded traversal': { method: 'GET', path: '/%2e%2e/%2e%2e/etc/passwd' },
    'long url': { method: 'GET', path: `/${'a'.repeat(20_000)}` },
    'huge header': { method: 'GET', path: '/', headers: { 'x-big': 'b'.repeat(32 * 1024) } },
    ...t.forged,
  };
}

describe('fault: hostile HTTP and slow clients on every listener', () => {
  it('no 5xx, the service stays up, and normal requests are answered afterwards', { timeout: bySize(180_000, 600_000) }, async () => {
    env = await codexTestEnv(echo);
    slack = await startFakeSlack({ botToken: BOT_TOKEN, users: { U1: { name: 'ada', display_name: 'Ada' } } });
    feishu = await startFakeFeishu();
    const f = feishu;
    const s = await faultService({
      env,
      webToken: WEB_TOKEN,
      slack: { apiUrl: slack.apiUrl, botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET },
      feishu: { url: f.url, appId: f.appId, appSecret: f.appSecret, verificationToken: f.verificationToken, encryptKey: ENCRYPT_KEY },
      health: true,
    });
    svc = s;
    await s.start();

    const slackPath = new URL(s.slackUrl!).pathname;
    const feishuPath = new URL(s.feishuUrl!).pathname;
    const now = Math.floor(Date.now() / 1000);
    const targets: Target[] = [
      {
        name: 'web',
        origin: s.webUrl,
        postPath: '/api/conversations/c0/messages',
        forged: {
          'no token': { path: '/api/conversations/c0/messages', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' },
          'wrong token': {
            path: '/api/conversations/c0/messages',
            headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-token-wrong-token' },
            body: '{"text":"hi"}',
          },
          'forged cookie': { method: 'GET', path: '/api/conversations', headers: { cookie: 'switchboard_session=forged.forged' } },
          'token, garbage body': {
            path: '/api/conversations/c0/messages',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${WEB_TOKEN}` },
            body: garbage(2048),
          },
          'token, bad conversation': {
            path: '/api/conversations/..%2F..%2Fetc/messages',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${WEB_TOKEN}` },
            body: '{"text":"hi"}',
          },
          'login garbage': { path: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: garbage(512) },
        },
      },
      {
        name: 'slack',
        origin: new URL(s.slackUrl!).origin,
        postPath: slackPath,
        forged: {
          'unsigned event': { path: slackPath, headers: { 'content-type': 'application/json' }, body: '{"type":"event_callback"}' },
          'bad signature': {
            path: slackPath,
            headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(now), 'x-slack-signature': 'v0=deadbeef' },
            body: '{"type":"event_callback"}',
          },
          'timestamp not a number': {
            path: slackPath,
            headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': 'yesterday', 'x-slack-signature': 'v0=00' },
            body: '{}',
          },
        },
      },
      {
        name: 'feishu',
        origin: new URL(s.feishuUrl!).origin,
        postPath: feishuPath,
        forged: {
          'unsigned plain event': { path: feishuPath, headers: { 'content-type': 'application/json' }, body: '{"schema":"2.0","header":{},"event":{}}' },
          'bad signature': {
            path: feishuPath,
            headers: {
              'content-type': 'application/json',
              'x-lark-request-timestamp': String(now),
              'x-lark-request-nonce': 'n',
              'x-lark-signature': 'deadbeef',
            },
            body: '{"encrypt":"AAAA"}',
          },
          'encrypt not base64': { path: feishuPath, headers: { 'content-type': 'application/json' }, body: '{"encrypt":"%%%not base64%%%"}' },
        },
      },
      { name: 'health', origin: s.healthUrl!, postPath: '/healthz', forged: {} },
    ];

    // Signed but hostile payloads through the fakes' own signing (the receiver's inner checks).
    const counts = new Map<string, StatusCounts>(targets.map((t) => [t.name, emptyCounts()]));
    const slackCounts = counts.get('slack')!;
    for (const [what, payload] of Object.entries({
      'signed garbage': garbage(256).toString('latin1'),
      'signed null': 'null',
      'signed text number': JSON.stringify(slack.eventCallback({ type: 'message', channel: 'C1', user: 'U1', text: 42, ts: '1.1' })),
    })) {
      count(slackCounts, (await slack.postEvent(s.slackUrl!, SIGNING_SECRET, payload)).status, what);
    }
    for (const tamper of ['signature', 'stale', 'missing'] as const) {
      count(
        slackCounts,
        (
          await slack.postEvent(
            s.slackUrl!,
            SIGNING_SECRET,
            slack.eventCallback(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> x', ts: slack.nextTs() })),
            { tamper },
          )
        ).status,
        `slack tamper ${tamper}`,
      );
    }
    const feishuCounts = counts.get('feishu')!;
    const bogusMentions = { ...f.messageReceive({ chatId: 'oc_hostile', chatType: 'group', senderOpenId: 'ou_h', text: 'x' }) } as Record<string, unknown>;
    (bogusMentions.event as { message: Record<string, unknown> }).message.mentions = 'not an array';
    for (const [what, payload] of Object.entries({
      'signed garbage': garbage(256).toString('latin1'),
      'signed null': 'null',
      'mentions not an array': bogusMentions,
    })) {
      count(feishuCounts, (await f.postWebhook(s.feishuUrl!, { payload, encryptKey: ENCRYPT_KEY })).status, what);
    }
    for (const tamper of ['signature', 'token'] as const) {
      const ev = f.messageReceive({ chatId: 'oc_hostile', chatType: 'p2p', senderOpenId: 'ou_h', text: 'x' });
      count(feishuCounts, (await f.postWebhook(s.feishuUrl!, { payload: ev, encryptKey: ENCRYPT_KEY, tamper })).status, `tamper ${tamper}`);
    }

    for (const t of targets) {
      const c = counts.get(t.name)!;
      for (const [what, req] of Object.entries(battery(t))) count(c, await rawRequest(t.origin, req), what);
      // A burst of concurrent connections with garbage.
      const burst = await Promise.all(
        Array.from({ length: CONCURRENT }, () =>
          rawRequest(t.origin, { path: t.postPath, headers: { 'content-type': 'application/json' }, body: garbage(512) }),
        ),
      );
      for (const st of burst) count(c, st, 'concurrent garbage');
    }

    // Slowloris on every listener at once; a normal request on each must be answered meanwhile.
    const slow = targets.map((t) => slowClients(t.origin, t.postPath, SLOW, 200));
    const during: Record<string, number> = {};
    for (const t of targets) during[t.name] = await rawRequest(t.origin, { method: 'GET', path: '/healthz', headers: t.name === 'web' ? {} : {} });
    await new Promise((r) => setTimeout(r, SLOW_FOR_MS)); // let the slow clients trickle: the attack's length, not a wait for an event
    const slowResults = await Promise.all(slow.map((x) => x.end()));
    const cutSlow = slowResults.reduce((n, r) => n + r.cutByServer, 0);

    // Afterwards: the service is up and normal requests work on every listener.
    const up = s.proc !== null && s.proc.exitInfo() === null;
    const normal: string[] = [];
    const health = await rawRequest(s.healthUrl!, { method: 'GET', path: '/healthz' });
    const ready = await rawRequest(s.healthUrl!, { method: 'GET', path: '/readyz' });
    if (health === 200 && ready === 200) normal.push('health');
    const posted = await s.post('c0', 'after the storm', 'normal-web');
    const webAnswered = await pollUntil(
      async () => ((await s.messages('c0')).some((m) => m.replyTo === 'normal-web' && m.text === 'echo: after the storm') ? true : undefined),
      'the web answer',
      60_000,
    ).catch(() => false);
    if (posted.status === 202 && webAnswered) normal.push('web');
    const ts = slack.nextTs();
    const mention = await slack.postEvent(
      s.slackUrl!,
      SIGNING_SECRET,
      slack.eventCallback(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> after the storm', ts })),
    );
    const sl = slack;
    // The answer may be posted, streamed or a placeholder updated (live answers): any Web API call carrying it.
    const carriesAnswer = (body: unknown): boolean => JSON.stringify(body).includes('echo: after the storm');
    const slackAnswered = await pollUntil(() => (sl.calls.some((c) => carriesAnswer(c.body)) ? true : undefined), 'the Slack answer', 60_000).catch(
      () => false,
    );
    if (mention.status === 200 && slackAnswered) normal.push('slack');
    const ev = f.messageReceive({ chatId: 'oc_normal', chatType: 'p2p', senderOpenId: 'ou_normal', text: 'after the storm' });
    const messageId = (ev.event as { message: { message_id: string } }).message.message_id;
    const delivered = await f.postWebhook(s.feishuUrl!, { payload: ev, encryptKey: ENCRYPT_KEY });
    const feishuAnswered = await pollUntil(
      () => (f.sentMessages().some((m) => m.parent_id === messageId) ? true : undefined),
      'the Feishu answer',
      60_000,
    ).catch(() => false);
    if (delivered.status === 200 && feishuAnswered) normal.push('feishu');

    const broken: string[] = [];
    if (!up) broken.push('the service exited');
    for (const [name, c] of counts) if (c.server > 0) broken.push(`${name}: ${c.serverErrors.join(', ')}`);
    for (const [name, st] of Object.entries(during)) if (st === 0 || st >= 500) broken.push(`${name}: /healthz during slowloris answered ${st}`);
    for (const name of ['health', 'web', 'slack', 'feishu']) if (!normal.includes(name)) broken.push(`${name}: the normal request after the attacks failed`);
    const perListener = [...counts].map(([name, c]) => `${name} ${formatCounts(c)}`).join('; ');
    reportFault(
      'hostile-http',
      `${perListener}; ${CONCURRENT} concurrent per listener; ${SLOW * targets.length} slowloris clients for ${SLOW_FOR_MS} ms (${cutSlow} cut by the server, requests meanwhile ${Object.values(during).join('/')}) → 5xx ${[...counts.values()].reduce((n, c) => n + c.server, 0)}, service ${up ? 'up' : 'DOWN'}, normal requests answered on ${normal.join(', ') || 'none'}`,
      broken,
    );
    expect(broken).toEqual([]);
  });
});
