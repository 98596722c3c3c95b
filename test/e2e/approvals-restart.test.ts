/**
 * kill -9 of the service while an approval waits in Slack: the built CLI (`switchboard serve`),
 * the real codex (policy `untrusted`) and the fake Slack in HTTP mode. A restarted app-server
 * will not take an answer to its predecessor's request, so after the restart the old prompt is
 * marked expired; the cut-off turn runs again, asks again in a new prompt, and once approved is
 * answered exactly once.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { touchUntilRan } from '../support/approval-scripts.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { killLeftoverClis, pollUntil, spawnCli, type CliProcess } from '../support/e2e-cli.js';
import { appMention, startFakeSlack, type FakeSlack, type RecordedCall } from '../support/fake-slack/index.js';
import { freePort } from '../support/ports.js';
import { mainDispatcher, testCodexConfig } from '../support/service.js';
import { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET } from '../support/slack-service.js';

let env: CodexTestEnv;
let fake: FakeSlack;
let cli: CliProcess | undefined;

beforeEach(async () => {
  env = await codexTestEnv(touchUntilRan);
  fake = await startFakeSlack({ users: { U1: { name: 'ada', display_name: 'Ada' } } });
});

afterEach(async () => {
  await cli?.stop().catch(() => undefined);
  await fake.close();
  await env.cleanup();
});

afterAll(killLeftoverClis);

const prompts = (): RecordedCall[] =>
  fake.callsTo('chat.postMessage').filter((c) => c.response.ok === true && JSON.stringify(c.body.blocks ?? []).includes('switchboard_prompt_'));

describe('an approval pending across a kill -9 of the service', () => {
  it('the old prompt shows expired; the turn asks again and is answered once after approval', async () => {
    const port = await freePort();
    const configFile = path.join(env.stateDir, '..', 'switchboard-approvals-restart.json');
    await writeFile(
      configFile,
      JSON.stringify({
        stateDir: env.stateDir,
        codex: { ...testCodexConfig(env), sandbox: 'workspace-write', approvalPolicy: 'untrusted' },
        channels: [
          {
            id: 'slack',
            type: 'slack',
            mode: 'http',
            botToken: 'env:E2E_SLACK_BOT_TOKEN',
            signingSecret: 'env:E2E_SLACK_SIGNING_SECRET',
            listen: `127.0.0.1:${port}`,
            apiUrl: fake.apiUrl,
          },
        ],
        dispatchers: [mainDispatcher(env, 'slack')],
      }),
    );
    const envVars = { ...process.env, E2E_SLACK_BOT_TOKEN: SLACK_BOT_TOKEN, E2E_SLACK_SIGNING_SECRET: SLACK_SIGNING_SECRET };
    const serve = (): CliProcess => spawnCli(['serve', '--config', configFile], { env: envVars });
    const ready = (p: CliProcess) => p.waitForLog((l) => l.msg === 'switchboard started', { timeoutMs: 60_000, what: 'switchboard started' });

    cli = serve();
    await ready(cli);
    const ts = fake.nextTs();
    const res = await fake.postEvent(
      `http://127.0.0.1:${port}/slack/events`,
      SLACK_SIGNING_SECRET,
      fake.eventCallback(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> touch it', ts })),
    );
    expect(res.status).toBe(200);
    await pollUntil(() => (prompts().length === 1 ? true : undefined), 'the first prompt', 60_000);
    // The prompt (with its message) is kept in state before the kill: only then can a restart expire it.
    await cli.waitForLog((l) => l.msg === 'approval prompt kept in state', { timeoutMs: 60_000, what: 'approval prompt kept in state' });
    const firstTs = String(prompts()[0]!.response.ts);

    process.kill(-cli.pid, 'SIGKILL');
    await cli.exited;
    cli = serve();
    await ready(cli);

    await pollUntil(
      () => (fake.callsTo('chat.update').some((c) => c.body.ts === firstTs && JSON.stringify(c.body.blocks).includes('Expired')) ? true : undefined),
      'the old prompt expired',
      60_000,
    );
    const expired = fake
      .callsTo('chat.update')
      .filter((c) => c.body.ts === firstTs)
      .at(-1)!;
    expect(JSON.stringify(expired.body.blocks)).not.toContain('switchboard_prompt_');

    await pollUntil(() => (prompts().length === 2 ? true : undefined), 'the second prompt', 60_000);
    const second = prompts()[1]!;
    const blocks = second.body.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>;
    const approve = blocks.find((b) => b.type === 'actions')!.elements![0]!;
    const press = await fake.postAction(`http://127.0.0.1:${port}/slack/events`, SLACK_SIGNING_SECRET, {
      user: 'U1',
      channel: 'C1',
      messageTs: String(second.response.ts),
      threadTs: ts,
      actionId: approve.action_id,
      value: approve.value,
      blockId: 'x',
      label: 'Approve',
    });
    expect(press.status).toBe(200);
    const answered = (): RecordedCall[] =>
      [...fake.callsTo('chat.postMessage'), ...fake.callsTo('chat.update'), ...fake.callsTo('chat.stopStream')].filter(
        (c) => c.response.ok === true && JSON.stringify(c.body).includes('Process exited with code 0'),
      );
    await pollUntil(() => (answered().length >= 1 ? true : undefined), 'the answer', 60_000);
    expect(new Set(answered().map((c) => String(c.body.ts ?? c.response.ts))).size, 'answered once').toBe(1);
  }, 240_000);
});
