/**
 * kill -9 of the service while an approval waits in the local web chat: the built CLI (`switchboard
 * serve`), real codex under `untrusted`. After the restart the old prompt in the history shows it
 * expired (no buttons); the cut-off turn runs again and asks in a new prompt, and once that is
 * approved (POST /api/actions) the message is answered exactly once.
 * (The Slack and Feishu twins: approvals-restart.test.ts, feishu-approvals-restart.test.ts.)
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebMessage } from '../../src/state/types.js';
import { touchUntilRan } from '../support/approval-scripts.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { killLeftoverClis, pollUntil, spawnCli, type CliProcess } from '../support/e2e-cli.js';
import { freePort } from '../support/ports.js';
import { mainDispatcher, testCodexConfig } from '../support/service.js';

let env: CodexTestEnv;
let cli: CliProcess | undefined;

beforeEach(async () => {
  env = await codexTestEnv(touchUntilRan);
});

afterEach(async () => {
  await cli?.stop().catch(() => undefined);
  await env.cleanup();
});

afterAll(killLeftoverClis);

describe('a web chat approval pending across a kill -9 of the service', () => {
  it('the old prompt shows expired without buttons; the turn asks again and is answered once after approval', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const configFile = path.join(env.stateDir, '..', 'switchboard-web-approvals-restart.json');
    await writeFile(
      configFile,
      JSON.stringify({
        stateDir: env.stateDir,
        codex: { ...testCodexConfig(env), sandbox: 'workspace-write', approvalPolicy: 'untrusted' },
        channels: [{ id: 'local', type: 'web', listen: `127.0.0.1:${port}` }],
        dispatchers: [mainDispatcher(env, 'local')],
      }),
    );
    const serve = async (): Promise<CliProcess> => {
      const p = spawnCli(['serve', '--config', configFile]);
      await p.waitForLog((l) => l.msg === 'switchboard started', { timeoutMs: 60_000, what: 'switchboard started' });
      return p;
    };
    const history = async (): Promise<WebMessage[]> =>
      ((await (await fetch(`${url}/api/conversations/general/messages`)).json()) as { messages: WebMessage[] }).messages;
    const prompts = async (): Promise<WebMessage[]> => (await history()).filter((m) => m.prompt !== undefined);

    cli = await serve();
    const posted = await fetch(`${url}/api/conversations/general/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'touch it' }),
    });
    expect(posted.status).toBe(202);
    const [first] = await pollUntil(async () => ((await prompts()).length === 1 ? prompts() : undefined), 'the first prompt', 60_000);
    // Kept in state (with its message) before the kill: only then can the restart expire it.
    await cli.waitForLog((l) => l.msg === 'approval prompt kept in state', { timeoutMs: 60_000, what: 'approval prompt kept in state' });

    process.kill(-cli.pid, 'SIGKILL');
    await cli.exited;
    cli = await serve();

    const expired = await pollUntil(
      async () => (await history()).find((m) => m.id === first!.id && m.prompt?.status?.includes('Expired')),
      'the old prompt expired',
      60_000,
    );
    expect(expired.prompt?.buttons).toEqual([]);

    const second = await pollUntil(
      async () => (await prompts()).find((m) => m.id !== first!.id && (m.prompt?.buttons.length ?? 0) > 0),
      'the second prompt',
      60_000,
    );
    const approve = second.prompt!.buttons.find((b) => b.label === 'Approve')!;
    const press = await fetch(`${url}/api/actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ actionId: approve.actionId, conversation: 'general' }),
    });
    expect(press.status).toBe(200);

    const answers = async (): Promise<WebMessage[]> => (await history()).filter((m) => m.text.includes('Process exited with code 0'));
    await pollUntil(async () => ((await answers()).length >= 1 ? true : undefined), 'the answer', 60_000);
    expect(await answers(), 'answered once').toHaveLength(1);
  }, 240_000);
});
