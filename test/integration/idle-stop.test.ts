/**
 * Lazy start and idle stop through the real service and codex (issue 15 §1): a dispatcher with
 * `lazyStart` has no app-server until its first message; with `idleStopMs` its app-server is
 * stopped once idle (status `idle`, no child left), and the next message starts it again on the
 * same thread, with the earlier history. Fast-tier cases: test/unit/on-demand-fast.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Service } from '../../src/service.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { childPids, commandLine } from '../support/e2e-cli.js';
import { waitFor } from '../support/fake-clock.js';
import { mainDispatcher, startWithTestLog, testCodexConfig } from '../support/service.js';

let env: CodexTestEnv;
let service: Service;
let url: string;

/** Live codex app-server processes below this test process. */
function appServers(pid: number = process.pid): number[] {
  return childPids(pid).flatMap((c) => [...(commandLine(c).includes('app-server') ? [c] : []), ...appServers(c)]);
}

const answers = (): string[] =>
  service.store
    .listWebMessages('local', 'general')
    .filter((m) => m.role === 'assistant')
    .map((m) => m.text);

async function post(text: string): Promise<void> {
  const res = await fetch(`${url}/api/conversations/general/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(202);
}

beforeAll(async () => {
  env = await codexTestEnv((req) => ({
    kind: 'reply',
    text: `echo: ${req.lastUserText.split('\n').at(-1)} (${req.userTexts.filter((t) => t.includes(' via local/')).length} in history)`,
  }));
  const config = parseConfig(
    {
      stateDir: env.stateDir,
      codex: testCodexConfig(env),
      channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
      dispatchers: [mainDispatcher(env, 'local', { dispatcher: { lazyStart: true, idleStopMs: 300 } })],
    },
    { file: '<test>' },
  );
  service = await startWithTestLog(config);
  url = (service.channels.get('local') as unknown as { url: string }).url;
});

afterAll(async () => {
  await service?.stop();
  await env?.cleanup();
});

describe('lazy start and idle stop (real codex)', () => {
  it('no app-server before the first message; idle stop leaves none; the next message resumes the same thread', async () => {
    const main = service.dispatchers.get('main')!;
    expect(main.status()).toMatchObject({ status: 'idle', pid: null });
    expect(appServers()).toEqual([]);
    expect(service.readiness().ready).toBe(true);

    await post('first');
    await waitFor(() => answers().length === 1, 30_000, 'the first answer');
    expect(answers()[0]).toBe('echo: first (1 in history)');
    const threadId = main.status().threadId;
    expect(threadId).toEqual(expect.any(String));

    await waitFor(() => main.status().status === 'idle', 30_000, 'idle after idleStopMs');
    await waitFor(() => appServers().length === 0, 30_000, 'the app-server gone');
    expect(main.status().idleForMs).toEqual(expect.any(Number));

    await post('second');
    await waitFor(() => answers().length === 2, 30_000, 'the second answer');
    // Resumed: the model saw both messages in the thread's history.
    expect(answers()[1]).toBe('echo: second (2 in history)');
    expect(main.status().threadId).toBe(threadId);
    // An idle stop is not a crash: no restart counted, no restart notice injected.
    expect(env.model.requests.at(-1)?.messages.some((m) => m.text.includes('[Switchboard notice] The Switchboard service restarted'))).toBe(false);
  });
});
