/**
 * Teammate building blocks without codex: names, working dirs, role gating,
 * persistence, the MCP registration overrides, the MCP server over stdio, and
 * the status table.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatStatusTable } from '../../src/cli/format-status.js';
import { McpServerMissingError, mcpServerScript, switchboardMcpOverrides, switchboardMcpSessionConfig } from '../../src/mcp/registration.js';
import type { ServiceStatus } from '../../src/service.js';
import { freshRuntimeRecord } from '../../src/state/types.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateStore, TeammateRecord } from '../../src/state/types.js';
import { callerSchema, type TeammateStatus } from '../../src/teammates/api.js';
import { authorize, checkName, checkTaskText, resolveTeammateCwd, TeammateError } from '../../src/teammates/rules.js';
import { completionIdFor } from '../../src/teammates/teammate.js';

let dir: string;
const stores: StateStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sb-teammates-'));
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

function code(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof TeammateError ? err.code : `not a TeammateError: ${String(err)}`;
  }
}

describe('teammate rules', () => {
  it('accepts 1–32 of a-z 0-9 - as names and nothing else', () => {
    for (const ok of ['a', 'builder', 'test-runner-2', 'x'.repeat(32)]) expect(checkName(ok)).toBe(ok);
    for (const bad of ['', 'Builder', 'under_score', 'dot.name', 'x'.repeat(33), '../up', 'a b']) expect(code(() => checkName(bad))).toBe('invalid');
  });

  it('refuses empty and oversized task texts', () => {
    expect(code(() => checkTaskText('  \n', 'task'))).toBe('invalid');
    expect(code(() => checkTaskText('x'.repeat(256 * 1024 + 1), 'text'))).toBe('invalid');
    expect(checkTaskText('do it', 'task')).toBe('do it');
  });

  it('keeps the working dir inside the dispatcher cwd, also through symlinks', async () => {
    const base = path.join(dir, 'work');
    mkdirSync(base);
    expect(await resolveTeammateCwd(base, 'b')).toBe(path.join(base, '.switchboard', 'teammates', 'b'));
    expect(await resolveTeammateCwd(base, 'b', 'sub/dir')).toBe(path.join(base, 'sub', 'dir'));
    expect(await resolveTeammateCwd(base, 'b', path.join(base, 'abs'))).toBe(path.join(base, 'abs'));
    expect(await resolveTeammateCwd(base, 'b', '.')).toBe(base);
    await expect(resolveTeammateCwd(base, 'b', '..')).rejects.toThrow(/outside the dispatcher's working directory/);
    await expect(resolveTeammateCwd(base, 'b', '/etc')).rejects.toThrow(TeammateError);
    await expect(resolveTeammateCwd(base, 'b', 'a/../../x')).rejects.toThrow(TeammateError);
    symlinkSync(os.tmpdir(), path.join(base, 'out'));
    await expect(resolveTeammateCwd(base, 'b', 'out/deeper')).rejects.toThrow(TeammateError);
    // A "..name" directory is inside.
    expect(await resolveTeammateCwd(base, 'b', '..hidden')).toBe(path.join(base, '..hidden'));
  });

  it('gates tools by caller role', () => {
    const d = { role: 'dispatcher', id: 'main' } as const;
    const t = { role: 'teammate', id: 'w' } as const;
    const o = { role: 'operator' } as const;
    for (const a of ['spawn', 'send', 'status', 'close'] as const) expect(code(() => authorize(d, a))).toBeNull();
    expect(code(() => authorize(t, 'status'))).toBeNull();
    for (const a of ['spawn', 'send', 'close'] as const) expect(code(() => authorize(t, a))).toBe('refused');
    expect(() => authorize(t, 'spawn')).toThrow(/teammates cannot spawn teammates/);
    for (const a of ['send', 'status', 'close'] as const) expect(code(() => authorize(o, a))).toBeNull();
    expect(code(() => authorize(o, 'spawn'))).toBe('refused');
  });

  it('names completions after the teammate and its turn', () => {
    expect(completionIdFor('b', { id: 't1', turnId: 'turn-9' })).toBe('b:turn-9');
    expect(completionIdFor('b', { id: 't1', turnId: null })).toBe('b:task-t1');
  });
});

describe('teammate records in the state store', () => {
  function record(name: string, patch: Partial<TeammateRecord> = {}): TeammateRecord {
    return {
      ...freshRuntimeRecord(1),
      name,
      dispatcher: 'main',
      cwd: `/w/${name}`,
      origin: null,
      createdAt: 1,
      closed: false,
      closedAt: null,
      tasks: [],
      lastCompletionId: null,
      ...patch,
    };
  }

  it('puts, patches and persists teammates; keeps only the newest closed ones', async () => {
    const store = await openStateStore(dir);
    stores.push(store);
    await store.putTeammate(record('a', { createdAt: 1 }), 2);
    await store.putTeammate(record('b', { createdAt: 2 }), 2);
    expect(await store.patchTeammate('a', { status: 'ready', threadId: 't-a' })).toMatchObject({ name: 'a', status: 'ready', threadId: 't-a' });
    await expect(store.patchTeammate('ghost', {})).rejects.toThrow(/no teammate record "ghost"/);
    for (const [i, n] of ['c1', 'c2', 'c3'].entries()) await store.putTeammate(record(n, { createdAt: 10 + i, closed: true, closedAt: 10 + i }), 2);
    expect(store.listTeammates().map((t) => t.name)).toEqual(['a', 'b', 'c2', 'c3']);
    await store.close();
    stores.pop();

    const again = await openStateStore(dir);
    stores.push(again);
    expect(again.getTeammate('a')).toMatchObject({ status: 'ready', threadId: 't-a', tasks: [] });
    expect(again.listTeammates()).toHaveLength(4);
  });

  it('refuses a state file whose teammates section is not an object', async () => {
    await writeFile(path.join(dir, 'state.json'), JSON.stringify({ version: 1, dispatchers: {}, queue: {}, seen: {}, web: {}, teammates: [] }));
    await expect(openStateStore(dir)).rejects.toThrow(/non-object "teammates"/);
  });

  it('quarantines a malformed teammate record and opens the rest', async () => {
    await writeFile(
      path.join(dir, 'state.json'),
      JSON.stringify({ version: 1, dispatchers: {}, queue: {}, seen: {}, web: {}, teammates: { a: { name: 'a', dispatcher: 'main' } } }),
    );
    const store = await openStateStore(dir);
    stores.push(store);
    expect(store.listTeammates()).toEqual([]);
    expect(store.listQuarantine()).toEqual([
      expect.objectContaining({ from: 'teammates.a', dispatcherId: 'main', raw: { name: 'a', dispatcher: 'main' }, noticeTo: null, noticed: true }),
    ]);
  });
});

describe('MCP registration', () => {
  it('registers the server with TOML values and pre-approved tools', () => {
    const o = switchboardMcpOverrides({ script: '/p/dist/mcp/server.js', adminSocket: '/s/admin.sock', node: '/usr/bin/node' }, 'teammate', 'w-1');
    expect(o).toEqual({
      'mcp_servers.switchboard.command': '"/usr/bin/node"',
      'mcp_servers.switchboard.args': '["/p/dist/mcp/server.js", "--socket", "/s/admin.sock", "--role", "teammate", "--caller", "w-1"]',
      'mcp_servers.switchboard.startup_timeout_sec': '30',
      'mcp_servers.switchboard.tool_timeout_sec': '180',
      'mcp_servers.switchboard.default_tools_approval_mode': '"approve"',
    });
  });

  it('gives a dispatcher session thread its own server args naming the session (thread config, JSON values)', () => {
    const o = switchboardMcpSessionConfig({ script: '/p/dist/mcp/server.js', adminSocket: '/s/admin.sock' }, 'main', 't:slack:C1:1.2');
    expect(o).toEqual({
      'mcp_servers.switchboard.args': [
        '/p/dist/mcp/server.js',
        '--socket',
        '/s/admin.sock',
        '--role',
        'dispatcher',
        '--caller',
        'main',
        '--session',
        't:slack:C1:1.2',
      ],
    });
    // The identity the server forwards: the session rides along for dispatchers only.
    expect(callerSchema.parse({ role: 'dispatcher', id: 'main', session: 't:slack:C1:1.2' })).toEqual({
      role: 'dispatcher',
      id: 'main',
      session: 't:slack:C1:1.2',
    });
    expect(() => callerSchema.parse({ role: 'teammate', id: 'w-1', session: 'x' })).toThrow();
  });

  it('resolves the built server next to dist modules, and from src to dist; fails clearly when missing', async () => {
    const fromSrc = mcpServerScript(pathToFileURL(path.resolve('src/mcp/registration.ts')).href);
    expect(fromSrc).toBe(path.resolve('dist/mcp/server.js'));
    expect(mcpServerScript(pathToFileURL(path.resolve('dist/mcp/registration.js')).href)).toBe(path.resolve('dist/mcp/server.js'));
    const elsewhere = pathToFileURL(path.join(dir, 'dist', 'mcp', 'registration.js')).href;
    expect(() => mcpServerScript(elsewhere)).toThrow(McpServerMissingError);
    expect(() => mcpServerScript(elsewhere)).toThrow(/npm run build/);
  });
});

describe('MCP server over stdio', () => {
  async function connect(socket: string, role = 'dispatcher'): Promise<Client> {
    const client = new Client({ name: 'test', version: '0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [path.resolve('dist/mcp/server.js'), '--socket', socket, '--role', role, '--caller', 'main'],
      }),
    );
    return client;
  }

  it('lists the four tools and forwards calls with the caller identity', async () => {
    const socket = path.join(dir, 'admin.sock');
    const seen: Array<{ url: string | undefined; body: unknown }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ url: req.url, body: JSON.parse(body) });
        const refused = req.url === '/teammates/close';
        res.writeHead(refused ? 403 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(refused ? { error: 'refused', message: 'no' } : { teammates: [] }));
      });
    });
    await new Promise<void>((r) => server.listen(socket, r));
    const client = await connect(socket);
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['teammate_close', 'teammate_send', 'teammate_spawn', 'teammate_status']);
      expect(await client.callTool({ name: 'teammate_status', arguments: {} })).toEqual({ content: [{ type: 'text', text: '{"teammates":[]}' }] });
      expect(await client.callTool({ name: 'teammate_close', arguments: { name: 'x' } })).toEqual({
        content: [{ type: 'text', text: '{"error":"refused","message":"no"}' }],
        isError: true,
      });
      expect(seen).toEqual([
        { url: '/teammates/status', body: { caller: { role: 'dispatcher', id: 'main' } } },
        { url: '/teammates/close', body: { caller: { role: 'dispatcher', id: 'main' }, name: 'x' } },
      ]);
    } finally {
      await client.close();
      server.close();
    }
  });

  it('says so when the service is not running', async () => {
    const client = await connect(path.join(dir, 'nobody.sock'), 'teammate');
    try {
      const res = await client.callTool({ name: 'teammate_spawn', arguments: { name: 'x', task: 't' } });
      expect(res).toMatchObject({ isError: true, content: [{ type: 'text', text: expect.stringContaining('"error":"unavailable"') }] });
    } finally {
      await client.close();
    }
  });
});

describe('status table', () => {
  const base: ServiceStatus = {
    pid: 1,
    startedAt: 'now',
    state: { status: 'ok', reason: null, error: null, since: null },
    channels: [],
    approvals: [],
    teammates: [],
    dispatchers: [
      {
        id: 'main',
        status: 'ready',
        threadId: 't1',
        idleForMs: null,
        queueDepth: 0,
        waitingTurns: 0,
        pid: 2,
        runningTurnAgeMs: null,
        turnRetries: 0,
        restartCount: 0,
        lastError: null,
        failedReplies: 0,
        quarantined: 0,
        runningTurns: 0,
        sessions: [],
      },
    ],
    quarantined: 0,
  };

  it('adds a teammate table only when there are teammates', () => {
    expect(formatStatusTable(base)).not.toContain('TEAMMATE');
    const t: TeammateStatus = {
      name: 'builder',
      dispatcher: 'main',
      status: 'ready',
      threadId: 't2',
      cwd: '/w',
      pid: 3,
      tasks: 1,
      runningTurnAgeMs: 65_000,
      runningTurnId: 'turn',
      lastCompletionId: null,
      restartCount: 0,
      lastError: null,
      createdAt: 0,
      closedAt: null,
    };
    const lines = formatStatusTable({ ...base, teammates: [t] }).split('\n');
    expect(lines[2]).toBe('');
    expect(lines[3]).toMatch(/^TEAMMATE +DISPATCHER +STATUS +THREAD +TASKS +TURN AGE +RESTARTS +LAST ERROR$/);
    expect(lines[4]).toMatch(/^builder +main +ready +t2 +1 +1m05s +0 +-$/);
  });
});
