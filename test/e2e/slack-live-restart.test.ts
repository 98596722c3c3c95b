/**
 * kill -9 of the service while an answer streams into Slack: the built CLI (`switchboard serve`)
 * with the real codex and the scripted model, Slack's HTTP mode against the fake Slack. After the
 * restart the stream the dead process left open is closed with the restart note, and the turn is
 * handled as without live answers: run again and answered once, in a new element.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScriptFn } from '../../src/demo/script-types.js';
import { liveAbandonedText } from '../../src/dispatch/messages.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { killLeftoverClis, pollUntil, spawnCli, type CliProcess } from '../support/e2e-cli.js';
import { appMention, startFakeSlack, type FakeSlack } from '../support/fake-slack/index.js';
import { freePort } from '../support/ports.js';
import { mainDispatcher, stripHeader, testCodexConfig } from '../support/service.js';
import { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET } from '../support/slack-service.js';

const ANSWER = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n');

/** The first run of the turn streams slowly (so it can be killed mid-stream); the re-run answers at once. */
function script(): ScriptFn {
  let runs = 0;
  return (req) => {
    if (!stripHeader(req.lastUserText).startsWith('stream')) return { kind: 'reply', text: 'echo' };
    runs++;
    return runs === 1 ? { kind: 'reply', text: ANSWER, chunks: 40, streamMs: 60_000 } : { kind: 'reply', text: ANSWER };
  };
}

let env: CodexTestEnv;
let fake: FakeSlack;
let cli: CliProcess | undefined;

beforeEach(async () => {
  env = await codexTestEnv(script());
  fake = await startFakeSlack({ users: { U1: { name: 'ada', display_name: 'Ada' } } });
});

afterEach(async () => {
  await cli?.stop().catch(() => undefined);
  await fake.close();
  await env.cleanup();
});

afterAll(killLeftoverClis);

describe('Slack live answer across a kill -9 of the service', () => {
  it('closes the stream the dead process left open with the restart note, then answers the turn once', async () => {
    const port = await freePort();
    const configFile = path.join(env.stateDir, '..', 'switchboard-live-restart.json');
    await writeFile(
      configFile,
      JSON.stringify({
        stateDir: env.stateDir,
        codex: testCodexConfig(env),
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
      fake.eventCallback(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> stream please', ts })),
    );
    expect(res.status).toBe(200);
    const streams = () => fake.callsTo('chat.startStream').filter((c) => c.body.thread_ts === ts && c.response.ok === true);
    await pollUntil(() => (fake.callsTo('chat.appendStream').length >= 1 ? true : undefined), 'the first appended chunk', 60_000);
    const firstTs = String(streams()[0]!.response.ts);

    // kill -9 the whole process group: the service and its codex child.
    process.kill(-cli.pid, 'SIGKILL');
    await cli.exited;

    cli = serve();
    await ready(cli);
    // The dead process's stream is closed with the note …
    await pollUntil(
      () =>
        fake.callsTo('chat.stopStream').some((c) => c.body.ts === firstTs) || fake.callsTo('chat.update').some((c) => c.body.ts === firstTs) ? true : undefined,
      'the old stream closed',
      60_000,
    );
    const closing = [...fake.callsTo('chat.stopStream'), ...fake.callsTo('chat.update')].filter((c) => c.body.ts === firstTs && c.response.ok === true);
    expect(JSON.stringify(closing.map((c) => c.body))).toContain(liveAbandonedText());
    // … and the turn runs again in a new element and is answered once.
    await pollUntil(
      () =>
        streams().length === 2 && fake.callsTo('chat.update').some((c) => c.body.ts === streams()[1]!.response.ts && String(c.body.text).includes('line 40'))
          ? true
          : undefined,
      'the answer in a new stream',
      90_000,
    );
    const secondTs = String(streams()[1]!.response.ts);
    expect(secondTs).not.toBe(firstTs);
    const answers = fake.callsTo('chat.update').filter((c) => String(c.body.text ?? '').includes('line 40') && c.response.ok === true);
    expect(
      answers.map((c) => c.body.ts),
      'one final answer',
    ).toEqual([secondTs]);
    expect(fake.callsTo('chat.postMessage').filter((c) => String(c.body.text ?? '').includes('line 40'))).toEqual([]);
  });
});
