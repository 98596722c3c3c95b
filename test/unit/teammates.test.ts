/**
 * Teammate building blocks without codex: names, working dirs, role gating,
 * persistence, the MCP registration (overrides, thread config), the caller
 * tokens, and the status table.
 */
import { createHmac } from 'node:crypto';
import { mkdirSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatStatusTable } from '../../src/cli/format-status.js';
import { switchboardMcpOverrides, switchboardMcpRuntimeConfig, switchboardMcpSessionConfig } from '../../src/mcp/registration.js';
import { McpCallerTokens } from '../../src/mcp/tokens.js';
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
  const endpoint = { url: 'http://127.0.0.1:4321/mcp', tokens: new McpCallerTokens(Buffer.alloc(32, 7)) };
  const bearer = (config: Record<string, unknown>): string => {
    const headers = config['mcp_servers.switchboard.http_headers'] as { Authorization: string };
    expect(Object.keys(config)).toEqual(['mcp_servers.switchboard.http_headers']);
    return headers.Authorization.replace(/^Bearer /, '');
  };

  it('registers the service endpoint with TOML values and pre-approved tools; no identity on the command line', () => {
    expect(switchboardMcpOverrides(endpoint)).toEqual({
      'mcp_servers.switchboard.url': '"http://127.0.0.1:4321/mcp"',
      'mcp_servers.switchboard.startup_timeout_sec': '30',
      'mcp_servers.switchboard.tool_timeout_sec': '180',
      'mcp_servers.switchboard.default_tools_approval_mode': '"approve"',
    });
  });

  it("gives a runtime's thread, and a dispatcher session's thread, a bearer token naming its caller (thread config, JSON values)", () => {
    expect(endpoint.tokens.callerOf(bearer(switchboardMcpRuntimeConfig(endpoint, 'teammate', 'w-1')))).toEqual({ role: 'teammate', id: 'w-1' });
    expect(endpoint.tokens.callerOf(bearer(switchboardMcpRuntimeConfig(endpoint, 'dispatcher', 'main')))).toEqual({ role: 'dispatcher', id: 'main' });
    expect(endpoint.tokens.callerOf(bearer(switchboardMcpSessionConfig(endpoint, 'main', 't:slack:C1:1.2')))).toEqual({
      role: 'dispatcher',
      id: 'main',
      session: 't:slack:C1:1.2',
    });
    // The session rides along for dispatchers only.
    expect(() => callerSchema.parse({ role: 'teammate', id: 'w-1', session: 'x' })).toThrow();
  });
});

describe('MCP caller tokens', () => {
  const tokens = new McpCallerTokens();

  it('name the caller they were issued for, and only with the secret that issued them', () => {
    const main = tokens.tokenFor({ role: 'dispatcher', id: 'main' });
    expect(main).toMatch(/^sb1\.[\w-]+\.[\w-]+$/);
    expect(tokens.callerOf(main)).toEqual({ role: 'dispatcher', id: 'main' });
    expect(tokens.callerOf(tokens.tokenFor({ role: 'teammate', id: 'w-1' }))).toEqual({ role: 'teammate', id: 'w-1' });
    expect(new McpCallerTokens().callerOf(main)).toBeNull();
  });

  it('refuse a forged identity, an altered or truncated token, and junk', () => {
    const teammate = tokens.tokenFor({ role: 'teammate', id: 'w-1' });
    const [prefix, , mac] = teammate.split('.');
    const forged = Buffer.from(JSON.stringify({ role: 'dispatcher', id: 'main' })).toString('base64url');
    expect(tokens.callerOf(`${prefix}.${forged}.${mac}`)).toBeNull();
    expect(tokens.callerOf(`${teammate.slice(0, -2)}AA`)).toBeNull();
    expect(tokens.callerOf(teammate.slice(0, -5))).toBeNull();
    for (const junk of ['', 'sb1', 'sb1..', 'Bearer x', `sb2.${teammate.slice(4)}`]) expect(tokens.callerOf(junk)).toBeNull();
    // A well-signed payload that is not a runtime identity (e.g. the operator) is refused too.
    const secret = Buffer.alloc(32, 1);
    const mine = new McpCallerTokens(secret);
    const operator = Buffer.from(JSON.stringify({ role: 'operator' })).toString('base64url');
    const sig = createHmac('sha256', secret).update('switchboard-mcp\u0000').update(operator).digest('base64url');
    expect(mine.callerOf(`sb1.${operator}.${sig}`)).toBeNull();
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
