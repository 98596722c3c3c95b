/**
 * Fault: a secrets scan. The service (`switchboard serve`) gets fake secret values the way an
 * operator gives them — `env:` references for the Slack bot token and signing secret, the Feishu
 * app secret, verification token and encrypt key and the web access token, plus secrets in its
 * environment that the config does not name — and serves a web message, a Slack mention and a
 * Feishu message (a failing Slack reaction included, so an error path logs too). The agent runs `env`
 * and reads every `/proc/<pid>/environ` it can see through codex's shell tool. Then the secret
 * values are looked for in the service's stdout and stderr (every run), every file under the state
 * dir and under CODEX_HOME (codex's logs and session rollouts), the tool output the model got, and
 * the environment and command line of every process the service started: 0 hits.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScriptFn } from '../../src/demo/script-types.js';
import { descendantPids } from '../../src/codex/proc-info.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { killLeftoverClis, pollUntil } from '../support/e2e-cli.js';
import { startFakeFeishu, type FakeFeishu } from '../support/fake-feishu/index.js';
import { appMention, startFakeSlack, type FakeSlack } from '../support/fake-slack/index.js';
import { stripHeader } from '../support/service.js';
import { faultService, type FaultService } from './support/fault-service.js';
import { reportFault } from './support/report.js';
import { scanText, scanTree, type SecretHit } from './support/secret-scan.js';

const CALL_ID = 'env-dump';
const DUMP = "env; echo '--- /proc environ ---'; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | sort -u";

/** Values only a leak could put anywhere. */
const CONFIG_SECRETS = {
  slackBotToken: 'xoxb-fault-secret-bot-7a1c9e',
  slackSigningSecret: 'fault-secret-signing-3f8b2d',
  feishuAppSecret: 'fault-secret-feishu-app-5e4a71',
  feishuVerificationToken: 'fault-secret-feishu-verify-9c2f06',
  feishuEncryptKey: 'fault-secret-feishu-encrypt-1d7b38',
  webToken: 'fault-secret-web-token-6b0e92c4d1',
};
/** In the service's environment, named by nothing in the config. */
const AMBIENT = {
  SLACK_BOT_TOKEN: 'xoxb-fault-ambient-slack-2e6d',
  SLACK_SIGNING_SECRET: 'fault-ambient-signing-8a3c',
  FEISHU_APP_SECRET: 'fault-ambient-feishu-4b9f',
  SWITCHBOARD_WEB_TOKEN: 'fault-ambient-web-token-0c5e',
};
const SECRETS: Record<string, string> = { ...CONFIG_SECRETS, ...AMBIENT };

const toolOutputs: string[] = [];
const script: ScriptFn = (req) => {
  const text = stripHeader(req.lastUserText);
  if (!text.includes('print your environment')) return { kind: 'reply', text: `echo: ${text}` };
  const out = req.functionOutput(CALL_ID);
  if (out === undefined) return { kind: 'functionCall', name: 'exec_command', callId: CALL_ID, arguments: { cmd: DUMP, login: false } };
  toolOutputs.push(out);
  return { kind: 'reply', text: `dumped ${out.length} bytes` };
};

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

describe('fault: secrets scan of logs, state and the agent environment', () => {
  it('no secret value in logs, state, codex files, tool output or the children', { timeout: 180_000 }, async () => {
    env = await codexTestEnv(script);
    slack = await startFakeSlack({ botToken: CONFIG_SECRETS.slackBotToken, users: { U1: { name: 'ada', display_name: 'Ada' } } });
    feishu = await startFakeFeishu({ appSecret: CONFIG_SECRETS.feishuAppSecret, verificationToken: CONFIG_SECRETS.feishuVerificationToken });
    const f = feishu;
    const sl = slack;
    const s = await faultService({
      env,
      webToken: CONFIG_SECRETS.webToken,
      slack: { apiUrl: sl.apiUrl, botToken: CONFIG_SECRETS.slackBotToken, signingSecret: CONFIG_SECRETS.slackSigningSecret },
      feishu: {
        url: f.url,
        appId: f.appId,
        appSecret: CONFIG_SECRETS.feishuAppSecret,
        verificationToken: CONFIG_SECRETS.feishuVerificationToken,
        encryptKey: CONFIG_SECRETS.feishuEncryptKey,
      },
      extraEnv: AMBIENT,
      logLevel: 'trace',
    });
    svc = s;
    await s.start();

    // The agent prints its environment (web), and answers on Slack and Feishu; one Slack reaction fails first.
    expect((await s.post('c0', 'print your environment', 'env-1')).status).toBe(202);
    await pollUntil(
      async () => ((await s.messages('c0')).some((m) => m.replyTo === 'env-1' && m.role === 'assistant') ? true : undefined),
      'the env dump answer',
      60_000,
    );
    sl.failNext('reactions.add');
    const ts = sl.nextTs();
    expect(
      (
        await sl.postEvent(
          s.slackUrl!,
          CONFIG_SECRETS.slackSigningSecret,
          sl.eventCallback(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> hello slack', ts })),
        )
      ).status,
    ).toBe(200);
    await pollUntil(() => (sl.calls.some((c) => JSON.stringify(c.body).includes('echo: hello slack')) ? true : undefined), 'the Slack answer', 60_000);
    const ev = f.messageReceive({ chatId: 'oc_secret', chatType: 'p2p', senderOpenId: 'ou_secret', text: 'hello feishu' });
    const messageId = (ev.event as { message: { message_id: string } }).message.message_id;
    expect((await f.postWebhook(s.feishuUrl!, { payload: ev, encryptKey: CONFIG_SECRETS.feishuEncryptKey })).status).toBe(200);
    await pollUntil(() => (f.sentMessages().some((m) => m.parent_id === messageId) ? true : undefined), 'the Feishu answer', 60_000);

    // The children, read from outside the sandbox while they run.
    const servicePid = s.proc!.pid;
    const children = descendantPids(servicePid);
    const hits: SecretHit[] = [];
    for (const pid of children) {
      for (const part of ['environ', 'cmdline']) {
        try {
          hits.push(...scanText(`/proc/${pid}/${part}`, readFileSync(`/proc/${pid}/${part}`), SECRETS));
        } catch {
          // exited meanwhile
        }
      }
    }
    // The service's own initial environment holds them by design (README: Secrets and private state).
    const ownEnviron = scanText('service environ', readFileSync(`/proc/${servicePid}/environ`), SECRETS).length;
    await s.stop();

    for (const [i, out] of toolOutputs.entries()) hits.push(...scanText(`tool output ${i}`, out, SECRETS));
    for (const [i, run] of s.runs.entries()) {
      hits.push(...scanText(`run ${i} stdout`, run.stdout(), SECRETS), ...scanText(`run ${i} stderr`, run.stderr(), SECRETS));
    }
    const state = scanTree(env.stateDir, SECRETS);
    const codexHome = scanTree(env.codexHome, SECRETS);
    hits.push(...state.hits, ...codexHome.hits);
    const logBytes = s.runs.reduce((n, r) => n + r.stdout().length + r.stderr().length, 0);
    const dumped = toolOutputs.reduce((n, o) => n + o.length, 0);

    const broken: string[] = [];
    if (toolOutputs.length === 0 || !toolOutputs.some((o) => o.includes('PATH='))) broken.push('the agent did not run env');
    if (hits.length > 0) broken.push(hits.map((h) => `${h.secret} in ${h.where}`).join(', '));
    reportFault(
      'secrets-scan',
      `${Object.keys(SECRETS).length} secret values; searched ${logBytes} bytes of service output (log level trace), ${state.files} state files, ${codexHome.files} CODEX_HOME files, ${dumped} bytes of agent env dump, ${children.length} child processes' environ+cmdline → hits ${hits.length} (the service's own /proc environ holds ${ownEnviron}, the documented limit; the sandbox hides it)`,
      broken,
    );
    expect(broken).toEqual([]);
  });
});
