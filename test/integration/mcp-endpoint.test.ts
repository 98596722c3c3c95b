/**
 * The teammate tools' MCP endpoint the service serves its runtimes (streamable HTTP on loopback,
 * src/mcp/http-server.ts), through a real service with real codex runtimes:
 * - a request without a token, with a token of another service or with a forged identity is
 *   refused 401 before anything runs;
 * - with a valid token, an MCP client (the SDK's streamable HTTP client) is offered the four tools,
 *   and a call acts as the token's caller, whatever the arguments say;
 * - a session thread's tool call names its session: with two sessions' turns running at once, a
 *   spawn from one of them is answered in that session's conversation (a caller without the
 *   session would have no origin: two turns run);
 * - after a restart (a new token secret) a resumed session thread gets its new token;
 * - no runtime starts an MCP server process.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ScriptFn } from '../../src/demo/scripted-model.js';
import { MCP_TOOL_NAMESPACE } from '../../src/mcp/registration.js';
import { McpCallerTokens, type ToolCaller } from '../../src/mcp/tokens.js';
import type { Service } from '../../src/service.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { childPids, commandLine } from '../support/e2e-cli.js';
import { waitFor } from '../support/fake-clock.js';
import { mainDispatcher, startWithTestLog, stripHeader, testCodexConfig } from '../support/service.js';

const TASK_HEADER = '[Switchboard task from dispatcher main]\n';

/**
 * `spawn <name>` makes the model call teammate_spawn once and answer `spawned: <tool output>`;
 * `hang` never answers; teammate tasks are answered `done`; anything else `echo: <text>`.
 */
const script: ScriptFn = (req) => {
  const last = req.lastUserText;
  if (last.startsWith(TASK_HEADER)) return { kind: 'reply', text: 'done' };
  const body = stripHeader(last);
  if (body === 'hang') return { kind: 'hang' };
  const spawn = /^spawn (\S+)$/.exec(body);
  if (spawn?.[1]) {
    const callId = `call_${spawn[1]}`;
    const out = req.functionOutput(callId);
    if (out === undefined)
      return { kind: 'functionCall', namespace: MCP_TOOL_NAMESPACE, name: 'teammate_spawn', arguments: { name: spawn[1], task: 'work' }, callId };
    return { kind: 'reply', text: `spawned: ${out.slice(out.indexOf('{'))}` };
  }
  return { kind: 'reply', text: `echo: ${body}` };
};

let env: CodexTestEnv;
let service: Service | undefined;

beforeEach(async () => {
  env = await codexTestEnv(script);
});

afterEach(async () => {
  await service?.stop();
  service = undefined;
  await env.cleanup();
});

async function start(maxConcurrentTurns = 1): Promise<Service> {
  const config = parseConfig(
    {
      stateDir: env.stateDir,
      codex: testCodexConfig(env),
      channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
      dispatchers: [mainDispatcher(env, 'local', { bindings: [{ session: 'conversation' }], dispatcher: { maxConcurrentTurns } })],
    },
    { file: '<test>' },
  );
  service = await startWithTestLog(config);
  return service;
}

function webUrl(s: Service): string {
  return (s.channels.get('local') as unknown as { url: string }).url;
}

async function post(s: Service, conversation: string, text: string): Promise<void> {
  const res = await fetch(`${webUrl(s)}/api/conversations/${conversation}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(202);
}

function answers(s: Service, conversation: string): string[] {
  return s.store
    .listWebMessages('local', conversation)
    .filter((m) => m.role === 'assistant')
    .map((m) => m.text);
}

/** Live descendants of this test process running a stdio MCP server script. */
function mcpServerProcesses(): string[] {
  const found: string[] = [];
  const walk = (pid: number): void => {
    for (const c of childPids(pid)) {
      const cmd = commandLine(c);
      if (cmd.includes(path.join('mcp', 'server.js'))) found.push(cmd);
      walk(c);
    }
  };
  walk(process.pid);
  return found;
}

/** A raw MCP `initialize` POST with `authorization` (none when undefined). */
function initialize(url: string, authorization?: string, method = 'POST'): Promise<Response> {
  return fetch(url, {
    method,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(authorization !== undefined ? { authorization } : {}),
    },
    ...(method === 'POST'
      ? {
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } },
          }),
        }
      : {}),
  });
}

async function connect(s: Service, caller: ToolCaller): Promise<Client> {
  const client = new Client({ name: 'test', version: '0' });
  const transport = new StreamableHTTPClientTransport(new URL(s.mcp.url), {
    requestInit: { headers: { authorization: `Bearer ${s.mcp.tokens.tokenFor(caller)}` } },
  });
  await client.connect(transport);
  return client;
}

describe('the service’s MCP endpoint (real codex)', { timeout: 120_000 }, () => {
  it('refuses a missing, foreign or forged token (401); a valid one gets the tools, acting as the token’s caller', async () => {
    const s = await start();
    const url = s.mcp.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);

    const refused = async (res: Response): Promise<void> => {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001, message: expect.stringContaining('unauthorized') }, id: null });
    };
    await refused(await initialize(url));
    await refused(await initialize(url, 'Bearer '));
    await refused(await initialize(url, `Bearer ${new McpCallerTokens().tokenFor({ role: 'dispatcher', id: 'main' })}`));
    const teammateToken = s.mcp.tokens.tokenFor({ role: 'teammate', id: 'w-1' });
    const [prefix, , mac] = teammateToken.split('.');
    const asMain = Buffer.from(JSON.stringify({ role: 'dispatcher', id: 'main' })).toString('base64url');
    await refused(await initialize(url, `Bearer ${prefix}.${asMain}.${mac}`));
    await refused(await initialize(url, `Basic ${teammateToken}`));
    // Valid token: other methods and paths are answered, not served.
    expect((await initialize(url, `Bearer ${teammateToken}`, 'GET')).status).toBe(405);
    expect((await initialize(url.replace(/\/mcp$/, '/other'), `Bearer ${teammateToken}`)).status).toBe(404);
    expect((await initialize(url, `Bearer ${teammateToken}`)).status).toBe(200);
    const raw = (body: string) =>
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${teammateToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body,
      });
    expect((await raw('{not json')).status).toBe(400);
    expect((await raw(JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }))).status).toBe(413);

    // As a teammate: the tools are listed; spawning is refused, even when the arguments claim to be the dispatcher.
    const asTeammate = await connect(s, { role: 'teammate', id: 'w-1' });
    try {
      expect((await asTeammate.listTools()).tools.map((t) => t.name).sort()).toEqual(['teammate_close', 'teammate_send', 'teammate_spawn', 'teammate_status']);
      const spawn = await asTeammate.callTool({ name: 'teammate_spawn', arguments: { name: 'x', task: 't', caller: { role: 'dispatcher', id: 'main' } } });
      expect(spawn).toMatchObject({ isError: true, content: [{ type: 'text', text: expect.stringContaining('"error":"refused"') }] });
      expect(JSON.parse((spawn.content as Array<{ text: string }>)[0]!.text)).toMatchObject({
        message: expect.stringContaining('teammates cannot spawn teammates'),
      });
    } finally {
      await asTeammate.close();
    }
    // As the dispatcher: the same call answers as the admin socket does (here: an invalid name).
    const asMain2 = await connect(s, { role: 'dispatcher', id: 'main' });
    try {
      expect(await asMain2.callTool({ name: 'teammate_status', arguments: {} })).toEqual({ content: [{ type: 'text', text: '{"teammates":[]}' }] });
      const bad = await asMain2.callTool({ name: 'teammate_spawn', arguments: { name: 'Bad_Name', task: 't' } });
      expect(bad).toMatchObject({ isError: true });
      expect(JSON.parse((bad.content as Array<{ text: string }>)[0]!.text)).toMatchObject({
        error: 'invalid',
        message: expect.stringContaining('1–32 characters'),
      });
    } finally {
      await asMain2.close();
    }
    expect(s.teammates.all()).toEqual([]);
  });

  it('a session thread’s tool call names its session: the spawn answers in its conversation while another session’s turn runs', async () => {
    const s = await start(2);
    await post(s, 'beta', 'hang');
    const main = s.dispatchers.get('main')!;
    await waitFor(() => main.runningAddress('c:local:beta') !== null, 30_000, 'beta’s turn running');
    await post(s, 'alpha', 'spawn helper');
    await waitFor(() => answers(s, 'alpha').length >= 1, 60_000, 'alpha’s spawn answered');
    const answer = JSON.parse(answers(s, 'alpha')[0]!.replace(/^spawned: /, '')) as Record<string, unknown>;
    expect(answer).toMatchObject({ status: 'spawned', name: 'helper', origin: { channel: 'local', conversation: 'alpha' } });
    // Two turns ran at once (beta still does), so only alpha's session in the caller could say where.
    expect(main.runningAddress('c:local:beta')).not.toBeNull();
    const teammateTurn = () => env.model.requests.find((r) => r.lastUserText.startsWith(TASK_HEADER));
    await waitFor(() => teammateTurn() !== undefined, 30_000, 'the teammate’s task reached the model');
    expect(teammateTurn()?.toolNames).toContain(MCP_TOOL_NAMESPACE);
    // The dispatcher's and the teammate's tool calls started no MCP server process.
    expect(mcpServerProcesses()).toEqual([]);
  });

  it('after a service restart (new token secret) a resumed session thread calls the tools with its new token', async () => {
    const first = await start();
    await post(first, 'alpha', 'spawn one');
    await waitFor(() => answers(first, 'alpha').length >= 1, 60_000, 'the first spawn answered');
    const session = () =>
      service!.dispatchers
        .get('main')!
        .status()
        .sessions.find((x) => x.key === 'c:local:alpha');
    const threadId = session()?.threadId;
    const oldToken = first.mcp.tokens.tokenFor({ role: 'dispatcher', id: 'main', session: 'c:local:alpha' });
    await first.stop();
    service = undefined;

    const second = await start();
    expect(second.mcp.tokens.callerOf(oldToken)).toBeNull();
    await post(second, 'alpha', 'spawn two');
    // (Other answers may arrive meanwhile: teammate one's completion is relayed to alpha too.)
    const spawnedTwo = () => answers(second, 'alpha').find((t) => t.startsWith('spawned: ') && t.includes('"name":"two"'));
    await waitFor(() => spawnedTwo() !== undefined, 60_000, 'the second spawn answered');
    expect(session()?.threadId).toBe(threadId);
    expect(JSON.parse(spawnedTwo()!.replace(/^spawned: /, ''))).toMatchObject({ status: 'spawned', origin: { channel: 'local', conversation: 'alpha' } });
  });
});
