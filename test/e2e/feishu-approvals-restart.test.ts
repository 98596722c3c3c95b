/**
 * kill -9 of the service while an approval card waits in Feishu: the built CLI (`switchboard
 * serve`) on the fake Feishu's long connection, real codex under `untrusted`. After the restart
 * the old card is patched to show it expired (its buttons gone); the cut-off turn runs again and
 * asks in a new card, and once that is approved the message is answered exactly once.
 * (The Slack twin of this case is approvals-restart.test.ts.)
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROMPT_BODY_ELEMENT } from '../../src/channels/feishu/outbound/prompt.js';
import { ACTION_VALUE_KEY } from '../../src/channels/feishu/outbound/card-stream.js';
import { touchUntilRan } from '../support/approval-scripts.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { killLeftoverClis, pollUntil, spawnCli, type CliProcess } from '../support/e2e-cli.js';
import { newChatId, newOpenId, startFakeFeishu, type FakeFeishu, type StoredMessage } from '../support/fake-feishu/index.js';
import { shownAnswer } from '../support/feishu-service.js';
import { mainDispatcher, testCodexConfig } from '../support/service.js';

let env: CodexTestEnv;
let fake: FakeFeishu;
let cli: CliProcess | undefined;

beforeEach(async () => {
  env = await codexTestEnv(touchUntilRan);
  fake = await startFakeFeishu();
});

afterEach(async () => {
  await cli?.stop().catch(() => undefined);
  await fake.close();
  await env.cleanup();
});

afterAll(killLeftoverClis);

interface CardElement {
  tag: string;
  behaviors?: Array<{ value: Record<string, unknown> }>;
}

const cards = (): StoredMessage[] => fake.sentMessages().filter((m) => m.msg_type === 'interactive' && m.content.includes(PROMPT_BODY_ELEMENT));
const buttonsOf = (m: StoredMessage): CardElement[] =>
  (JSON.parse(fake.message(m.message_id)!.content) as { body: { elements: CardElement[] } }).body.elements.filter((e) => e.tag === 'button');

describe('a Feishu approval pending across a kill -9 of the service', () => {
  it('the old card shows expired without buttons; the turn asks again and is answered once after approval', async () => {
    const configFile = path.join(env.stateDir, '..', 'switchboard-feishu-approvals-restart.json');
    await writeFile(
      configFile,
      JSON.stringify({
        stateDir: env.stateDir,
        codex: { ...testCodexConfig(env), sandbox: 'workspace-write', approvalPolicy: 'untrusted' },
        channels: [{ id: 'feishu', type: 'feishu', domain: fake.url, appId: 'env:E2E_FEISHU_APP_ID', appSecret: 'env:E2E_FEISHU_APP_SECRET' }],
        dispatchers: [mainDispatcher(env, 'feishu')],
      }),
    );
    const envVars = { ...process.env, E2E_FEISHU_APP_ID: fake.appId, E2E_FEISHU_APP_SECRET: fake.appSecret };
    const serve = async (): Promise<CliProcess> => {
      const p = spawnCli(['serve', '--config', configFile], { env: envVars });
      await p.waitForLog((l) => l.msg === 'switchboard started', { timeoutMs: 60_000, what: 'switchboard started' });
      return p;
    };

    cli = await serve();
    const ada = newOpenId();
    const chatId = newChatId();
    const event = fake.messageReceive({ chatId, chatType: 'p2p', senderOpenId: ada, text: 'touch it' });
    const messageId = event.event.message.message_id as string;
    expect((await fake.sendEvent(event)).code).toBe(200);
    await pollUntil(() => (cards().length === 1 ? true : undefined), 'the first card', 60_000);
    // Kept in state (with its message) before the kill: only then can the restart expire it.
    await cli.waitForLog((l) => l.msg === 'approval prompt kept in state', { timeoutMs: 60_000, what: 'approval prompt kept in state' });
    const first = cards()[0]!;

    process.kill(-cli.pid, 'SIGKILL');
    await cli.exited;
    cli = await serve();

    await pollUntil(() => (fake.message(first.message_id)!.content.includes('Expired') ? true : undefined), 'the old card expired', 60_000);
    expect(buttonsOf(first)).toEqual([]);

    await pollUntil(() => (cards().length === 2 ? true : undefined), 'the second card', 60_000);
    const second = cards()[1]!;
    const approve = buttonsOf(second)[0]!;
    expect(typeof approve.behaviors?.[0]?.value[ACTION_VALUE_KEY]).toBe('string');
    const press = await fake.sendEvent(fake.cardAction({ operatorOpenId: ada, value: approve.behaviors![0]!.value, messageId: second.message_id, chatId }));
    expect(press.code).toBe(200);

    const answers = (): StoredMessage[] =>
      fake.sentMessages().filter((m) => m.parent_id === messageId && (shownAnswer(fake, m) ?? '').includes('Process exited with code 0'));
    await pollUntil(() => (answers().length >= 1 ? true : undefined), 'the answer', 60_000);
    expect(answers(), 'answered once').toHaveLength(1);
  }, 240_000);
});
