/**
 * Idle sessions give their memory back (issue 12 §7), through the real service and codex: an idle
 * session's thread is unsubscribed after `sessions.idleUnloadMs`, and codex then unloads it after
 * `thread_unload_delay_secs` (Switchboard's default: 30 s, see HOST_DEFAULT_OVERRIDES; 1 s here so
 * the test waits seconds, not half a minute). A session thread starts no MCP server process (the
 * service serves the teammate tools itself); the resumed thread is offered them again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { MCP_TOOL_NAMESPACE } from '../../src/mcp/registration.js';
import type { Service } from '../../src/service.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { childPids, commandLine } from '../support/e2e-cli.js';
import { waitFor } from '../support/fake-clock.js';
import { mainDispatcher, startWithTestLog, testCodexConfig } from '../support/service.js';

let env: CodexTestEnv;
let service: Service;

/** Command lines of every live descendant of this test process. */
function descendants(pid: number = process.pid): string[] {
  return childPids(pid).flatMap((c) => [commandLine(c), ...descendants(c)]);
}

/** Live stdio MCP server children of this test process (the service's runtimes start none). */
const mcpServers = (): number => descendants().filter((cmd) => cmd.includes('mcp/server.js')).length;

beforeAll(async () => {
  env = await codexTestEnv((req) => ({ kind: 'reply', text: `echo: ${req.lastUserText.split('\n').at(-1)}` }));
  const config = parseConfig(
    {
      stateDir: env.stateDir,
      codex: testCodexConfig(env, { overrides: { thread_unload_delay_secs: '1' } }),
      channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
      dispatchers: [mainDispatcher(env, 'local', { bindings: [{ session: 'conversation' }], dispatcher: { sessions: { idleUnloadMs: 500 } } })],
    },
    { file: '<test>' },
  );
  service = await startWithTestLog(config);
});

afterAll(async () => {
  await service?.stop();
  await env?.cleanup();
});

describe('idle session unload (real codex)', () => {
  it('an idle session’s thread is unloaded; the next message resumes the same thread, offered the tools again', async () => {
    const url = (service.channels.get('local') as unknown as { url: string }).url;
    const post = (conversation: string, text: string) =>
      fetch(`${url}/api/conversations/${conversation}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    const main = service.dispatchers.get('main')!;
    const session = () => main.status().sessions.find((s) => s.key === 'c:local:alpha');
    expect((await post('alpha', 'first')).status).toBe(202);
    await waitFor(() => session()?.threadId != null, 30_000, 'alpha answered');
    await main.whenIdle();
    const threadId = session()?.threadId;
    expect(mcpServers()).toBe(0);

    await waitFor(() => session()?.loaded === false, 30_000, 'alpha unloaded after idleUnloadMs');

    expect((await post('alpha', 'second')).status).toBe(202);
    await waitFor(() => service.store.listWebMessages('local', 'alpha').filter((m) => m.role === 'assistant').length === 2, 30_000, 'the second answer');
    expect(session()?.threadId).toBe(threadId);
    expect(env.model.requests.at(-1)?.userTexts.some((t) => t.includes('first'))).toBe(true);
    expect(env.model.requests.at(-1)?.toolNames).toContain(MCP_TOOL_NAMESPACE);
    expect(mcpServers()).toBe(0);
  });
});
