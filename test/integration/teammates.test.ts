/**
 * Teammates through the real service: the scripted model calls Switchboard's
 * MCP tools (offered by codex as namespace `mcp__switchboard`), the real
 * dispatcher app-server calls the service's own MCP endpoint (streamable HTTP
 * on loopback, one caller token per thread; no MCP server process); real
 * teammate app-servers run the tasks, and their completions come back into the
 * dispatcher's thread and the origin web conversation.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminApiError, adminRequest } from '../../src/admin/client.js';
import type { ModelRequest, ScriptFn, ScriptStep } from '../../src/demo/scripted-model.js';
import { MCP_TOOL_NAMESPACE } from '../../src/mcp/registration.js';
import type { ServiceStatus } from '../../src/service.js';
import type { Caller, SpawnAnswer, TeammateStatus } from '../../src/teammates/api.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { childPids, commandLine, isAlive } from '../support/e2e-cli.js';
import { waitFor } from '../support/fake-clock.js';
import { startTestService, stripHeader, type TestService } from '../support/service.js';

const TASK_HEADER = '[Switchboard task from dispatcher main]\n';
const MAIN: Caller = { role: 'dispatcher', id: 'main' };

let env: CodexTestEnv;
const running: TestService[] = [];

/** The JSON our MCP tool answered, from codex's `function_call_output` text ("Wall time: … Output:\n<json>"). */
function toolJson(output: string | undefined): Record<string, unknown> {
  if (output === undefined) throw new Error('no function output');
  const at = output.indexOf('{');
  if (at < 0) throw new Error(`no JSON object in the tool output: ${output}`);
  return JSON.parse(output.slice(at)) as Record<string, unknown>;
}

/**
 * A message `tool <name> <json args>` (from chat to the dispatcher, or as a
 * teammate task) makes the model call that Switchboard tool once, then answer
 * `tool result: <output JSON>`. Teammate tasks `hang` never answer; other tasks
 * are answered `done: <task>`. Trigger turns are answered `relayed <completion id>`.
 */
const script: ScriptFn = (req: ModelRequest): ScriptStep => {
  const last = req.lastUserText;
  const body = last.startsWith(TASK_HEADER) ? last.slice(TASK_HEADER.length) : stripHeader(last);
  const tool = /^tool (teammate_\w+) (\{.*\})$/s.exec(body);
  if (tool?.[1] && tool[2]) {
    const callId = `call_${req.userTexts.length}`;
    if (!req.hasFunctionOutput(callId)) {
      return { kind: 'functionCall', namespace: MCP_TOOL_NAMESPACE, name: tool[1], arguments: JSON.parse(tool[2]) as object, callId };
    }
    return { kind: 'reply', text: `tool result: ${JSON.stringify(toolJson(req.functionOutput(callId)))}` };
  }
  if (last.startsWith(TASK_HEADER)) return body === 'hang' ? { kind: 'hang' } : { kind: 'reply', text: `done: ${body}` };
  const trigger = /^\[Switchboard\] Teammate \S+ delivered completion (\S+) /.exec(last);
  if (trigger) return { kind: 'reply', text: `relayed ${trigger[1]}` };
  return { kind: 'reply', text: `echo: ${body}` };
};

const toolMessage = (name: string, args: object): string => `tool ${name} ${JSON.stringify(args)}`;

async function start(opts: Parameters<typeof startTestService>[1] = {}): Promise<TestService> {
  const s = await startTestService(env, opts);
  running.push(s);
  return s;
}

async function stopService(s: TestService): Promise<void> {
  running.splice(running.indexOf(s), 1);
  await s.stop();
}

/** Calls a teammate route on the admin socket for `caller`, as an external tool would. */
function api<T>(s: TestService, route: string, body: object): Promise<T> {
  return adminRequest<T>(s.service.adminSocket, 'POST', route, { body, timeoutMs: 60_000 });
}

async function apiError(p: Promise<unknown>): Promise<{ status: number; error: string; message: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AdminApiError);
  const e = err as AdminApiError;
  const b = e.body as { error: string; message: string };
  return { status: e.status, error: b.error, message: b.message };
}

function teammate(s: TestService, name: string): TeammateStatus | undefined {
  return s.service.teammates.all().find((t) => t.name === name);
}

/** Completion records of teammate `name` at dispatcher main. */
function completionsOf(s: TestService, name: string) {
  return s.service.store.listCompletions('main').filter((c) => c.teammate === name);
}

async function waitDelivered(s: TestService, name: string, n: number): Promise<void> {
  await waitFor(() => completionsOf(s, name).filter((c) => c.state === 'delivered').length >= n, 90_000, `${n} delivered completion(s) of ${name}`);
}

/** The request in which the dispatcher's model saw the trigger turn of `completionId`. */
function triggerRequest(completionId: string): ModelRequest | undefined {
  return env.model.requests.find((r) => r.lastUserText.startsWith('[Switchboard]') && r.lastUserText.includes(`completion ${completionId} `));
}

function injectedCopies(req: ModelRequest | undefined, id: string): number {
  return (req?.messages ?? []).filter((m) => m.role === 'developer' && m.text.includes(`<teammate_completion id="${id}"`)).length;
}

/** Live descendants running a Switchboard stdio MCP server (there are none: the service serves the tools). */
function mcpServerProcesses(): number[] {
  const pids: number[] = [];
  const walk = (pid: number): void => {
    for (const c of childPids(pid)) {
      if (commandLine(c).includes(path.join('mcp', 'server.js'))) pids.push(c);
      walk(c);
    }
  };
  walk(process.pid);
  return pids;
}

beforeEach(async () => {
  env = await codexTestEnv(script);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await env.cleanup();
});

// Each test runs several real app-servers in sequence (dispatcher, teammates);
// on a loaded 2-core machine one took over 60 s, so these get the suite's longest bound.
describe('teammates (real codex, MCP tools)', { timeout: 180_000 }, () => {
  it('dispatcher spawns a teammate through the MCP tool; its completion is injected and answered in the origin conversation', async () => {
    const s = await start();
    await s.post('general', toolMessage('teammate_spawn', { name: 'builder', task: 'run the tests' }));

    // The tool answer of the spawning turn: the model read our JSON.
    const [spawned] = await s.waitForReplies('general', 1);
    const answer = JSON.parse(spawned!.text.replace(/^tool result: /, '')) as SpawnAnswer;
    expect(answer).toMatchObject({ status: 'spawned', name: 'builder', runtime: 'ready', origin: { channel: 'local', conversation: 'general' } });
    expect(answer.cwd).toBe(path.join(env.workDir, '.switchboard', 'teammates', 'builder'));
    expect(existsSync(answer.cwd)).toBe(true);

    // The tool was offered as namespace mcp__switchboard.
    const offered = env.model.requests[0]?.toolNames ?? [];
    expect(offered).toContain(MCP_TOOL_NAMESPACE);

    await waitDelivered(s, 'builder', 1);
    const [completion] = completionsOf(s, 'builder');
    expect(completion).toMatchObject({
      status: 'completed',
      text: 'done: run the tests',
      origin: { channelId: 'local', conversation: 'general' },
      state: 'delivered',
    });
    expect(completion!.id).toBe(`builder:${completion!.turnId}`);

    // Injected once into the dispatcher's thread; the trigger turn's answer reached the origin conversation.
    const trigger = triggerRequest(completion!.id);
    expect(injectedCopies(trigger, completion!.id)).toBe(1);
    expect(trigger?.allText).toContain('done: run the tests');
    const replies = await s.waitForReplies('general', 2);
    expect(replies[1]?.text).toBe(`relayed ${completion!.id}`);

    // The teammate ran as role teammate: its own thread, teammate skills only, offered the tools too;
    // no runtime started an MCP server process for them.
    const t = teammate(s, 'builder')!;
    expect(t).toMatchObject({ dispatcher: 'main', status: 'ready', tasks: 0, lastCompletionId: completion!.id });
    expect(t.threadId).not.toBe(s.service.dispatchers.get('main')!.status().threadId);
    expect(mcpServerProcesses()).toEqual([]);
    const teammateReq = env.model.requests.find((r) => r.lastUserText.startsWith(TASK_HEADER));
    expect(teammateReq?.toolNames).toContain(MCP_TOOL_NAMESPACE);
    expect(teammateReq?.allText).toContain('teammate-basics');
    expect(teammateReq?.allText).not.toContain('chat-dispatcher');
  });

  it('with one session per conversation, the completion wakes the session whose turn spawned the teammate', async () => {
    const s = await start({ session: 'conversation' });
    await s.post('beta', 'hello from beta');
    await s.waitForReplies('beta', 1);
    await s.post('alpha', toolMessage('teammate_spawn', { name: 'helper', task: 'count the files' }));
    const [spawned] = await s.waitForReplies('alpha', 1);
    expect(JSON.parse(spawned!.text.replace(/^tool result: /, ''))).toMatchObject({ status: 'spawned', origin: { channel: 'local', conversation: 'alpha' } });

    await waitDelivered(s, 'helper', 1);
    const [completion] = completionsOf(s, 'helper');
    expect(completion).toMatchObject({ text: 'done: count the files', origin: { channelId: 'local', conversation: 'alpha' }, state: 'delivered' });
    const replies = await s.waitForReplies('alpha', 2);
    expect(replies[1]?.text).toBe(`relayed ${completion!.id}`);

    // The trigger turn ran on alpha's session thread (its history holds the spawn, not beta's text),
    // into which the completion was injected once; beta and the dispatcher's own thread were left alone.
    const trigger = triggerRequest(completion!.id);
    expect(injectedCopies(trigger, completion!.id)).toBe(1);
    expect(trigger?.userTexts.some((t) => t.includes('teammate_spawn'))).toBe(true);
    expect(trigger?.allText).not.toContain('hello from beta');
    const alpha = s.service.dispatchers
      .get('main')!
      .status()
      .sessions.find((x) => x.key === 'c:local:alpha');
    expect(alpha?.threadId).toEqual(expect.any(String));
    expect(s.service.store.listSessions('main').find((r) => r.key === 'c:local:alpha')?.threadId).toBe(alpha?.threadId);
    expect((await s.messages('beta')).filter((m) => m.role !== 'user').map((m) => m.text)).toEqual(['echo: hello from beta']);
  });

  it('an idle teammate is stopped after teammates.idleStopMs (no app-server left) and its next task starts it on the same thread', async () => {
    const s = await start({ extra: { teammates: { idleStopMs: 300 } } });
    await api(s, '/teammates/spawn', { caller: MAIN, name: 'sleeper', task: 'first task' });
    // Read while its first task runs (the spawn answers once the runtime is ready): on a busy
    // machine it may be idle again by the time the completion is seen.
    const pid = teammate(s, 'sleeper')?.pid;
    expect(pid).toEqual(expect.any(Number));
    await waitDelivered(s, 'sleeper', 1);
    await waitFor(() => teammate(s, 'sleeper')?.status === 'idle', 30_000, 'the teammate idle');
    expect(teammate(s, 'sleeper')?.pid).toBeNull();
    await waitFor(() => !isAlive(pid!), 30_000, 'its app-server gone');
    const threadId = teammate(s, 'sleeper')?.threadId;

    expect(await api(s, '/teammates/send', { caller: MAIN, name: 'sleeper', text: 'second task' })).toMatchObject({ status: 'queued' });
    await waitDelivered(s, 'sleeper', 2);
    expect(completionsOf(s, 'sleeper').map((c) => c.text)).toEqual(['done: first task', 'done: second task']);
    expect(teammate(s, 'sleeper')?.threadId).toBe(threadId);
  });

  it('refuses teammate_spawn from a teammate (tool result says refused; no second teammate)', async () => {
    const s = await start();
    const task = toolMessage('teammate_spawn', { name: 'sub', task: 'nested work' });
    expect(await api<SpawnAnswer>(s, '/teammates/spawn', { caller: MAIN, name: 'worker', task })).toMatchObject({ status: 'spawned', origin: null });
    await waitDelivered(s, 'worker', 1);
    const [completion] = completionsOf(s, 'worker');
    expect(completion!.text).toMatch(/^tool result: /);
    const result = toolJson(completion!.text.replace(/^tool result: /, ''));
    expect(result).toMatchObject({ error: 'refused', message: expect.stringContaining('teammates cannot spawn teammates') });
    expect(teammate(s, 'sub')).toBeUndefined();
    expect(s.service.teammates.all().map((t) => t.name)).toEqual(['worker']);
    // The teammate may still look: status is scoped to its dispatcher's teammates.
    const seen = await api<{ teammates: TeammateStatus[] }>(s, '/teammates/status', { caller: { role: 'teammate', id: 'worker' } });
    expect(seen.teammates.map((t) => t.name)).toEqual(['worker']);
    expect(await apiError(api(s, '/teammates/close', { caller: { role: 'teammate', id: 'worker' }, name: 'worker' }))).toMatchObject({
      status: 403,
      error: 'refused',
    });
  });

  it('teammate_send runs another task whose completion comes back; teammate_close stops the runtime; bad names get clear errors', async () => {
    const s = await start();
    await api(s, '/teammates/spawn', { caller: MAIN, name: 'helper', task: 'first task' });
    await waitDelivered(s, 'helper', 1);

    // Second task through the dispatcher's MCP tool: its completion goes to that turn's conversation.
    await s.post('ops', toolMessage('teammate_send', { name: 'helper', text: 'second task' }));
    const [queued] = await s.waitForReplies('ops', 1);
    expect(JSON.parse(queued!.text.replace(/^tool result: /, ''))).toEqual({ status: 'queued', name: 'helper', position: 1 });
    await waitDelivered(s, 'helper', 2);
    const second = completionsOf(s, 'helper').find((c) => c.text === 'done: second task')!;
    expect(second.origin).toMatchObject({ channelId: 'local', conversation: 'ops' });
    expect((await s.waitForReplies('ops', 2))[1]?.text).toBe(`relayed ${second.id}`);
    expect(second.id).not.toBe(completionsOf(s, 'helper')[0]!.id);

    // Unknown, duplicate and invalid names, through the tool and the API.
    await s.post('ops', toolMessage('teammate_send', { name: 'nobody', text: 'x' }));
    const unknown = JSON.parse((await s.waitForReplies('ops', 3))[2]!.text.replace(/^tool result: /, '')) as Record<string, string>;
    expect(unknown).toEqual({ error: 'unknown', message: 'no teammate named "nobody"; open teammates: helper' });
    expect(await apiError(api(s, '/teammates/spawn', { caller: MAIN, name: 'helper', task: 'again' }))).toMatchObject({
      status: 409,
      error: 'duplicate',
      message: expect.stringContaining('a teammate named "helper" already exists'),
    });
    expect(await apiError(api(s, '/teammates/spawn', { caller: MAIN, name: 'Bad_Name', task: 't' }))).toMatchObject({
      status: 400,
      error: 'invalid',
      message: expect.stringContaining('1–32 characters of a-z, 0-9 and "-"'),
    });
    expect(await apiError(api(s, '/teammates/spawn', { caller: MAIN, name: 'escape', task: 't', cwd: '../elsewhere' }))).toMatchObject({
      status: 400,
      message: expect.stringContaining("outside the dispatcher's working directory"),
    });
    symlinkSync('/tmp', path.join(env.workDir, 'link-out'));
    expect(await apiError(api(s, '/teammates/spawn', { caller: MAIN, name: 'escape', task: 't', cwd: 'link-out/x' }))).toMatchObject({ status: 400 });
    expect(await apiError(api(s, '/teammates/spawn', { caller: { role: 'dispatcher', id: 'ghost' }, name: 'x', task: 't' }))).toMatchObject({ status: 403 });

    // Close through the tool: the app-server is gone (and no MCP server process ever ran).
    const pid = teammate(s, 'helper')!.pid!;
    expect(isAlive(pid)).toBe(true);
    expect(mcpServerProcesses()).toEqual([]);
    await s.post('ops', toolMessage('teammate_close', { name: 'helper' }));
    const closed = JSON.parse((await s.waitForReplies('ops', 4))[3]!.text.replace(/^tool result: /, '')) as Record<string, unknown>;
    expect(closed).toEqual({ status: 'closed', name: 'helper', interruptedTask: false, droppedTasks: 0 });
    await waitFor(() => !isAlive(pid), 10_000, 'teammate app-server gone');
    expect(mcpServerProcesses()).toEqual([]);
    expect(teammate(s, 'helper')).toMatchObject({ status: 'closed', pid: null });
    expect(s.service.store.getTeammate('helper')).toMatchObject({ closed: true, status: 'stopped', tasks: [] });
    expect(await apiError(api(s, '/teammates/send', { caller: MAIN, name: 'helper', text: 'more' }))).toMatchObject({ status: 409, error: 'closed' });

    // Operators see it in `switchboard status --json` and get a clear answer closing it again.
    const cli = path.resolve('dist/cli/main.js');
    const run = (args: string[]) => promisify(execFile)(process.execPath, [cli, ...args, '--socket', s.service.adminSocket]);
    const status = JSON.parse((await run(['status', '--json'])).stdout) as ServiceStatus;
    expect(status.teammates).toEqual([expect.objectContaining({ name: 'helper', dispatcher: 'main', status: 'closed' })]);
    expect((await run(['status'])).stdout).toMatch(/TEAMMATE +DISPATCHER +STATUS[^\n]*\nhelper +main +closed/);
    expect((await run(['teammate', 'close', 'helper'])).stdout).toBe('teammate helper was already closed\n');
    const missing = await run(['teammate', 'close', 'nobody']).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('no teammate named "nobody"') });
  });

  it('`switchboard teammate close` cuts off a running task and reports it as an interrupted completion', async () => {
    const s = await start();
    await s.post('general', toolMessage('teammate_spawn', { name: 'slow', task: 'hang' }));
    await waitFor(() => teammate(s, 'slow')?.runningTurnId != null, 45_000, 'the hanging task runs');
    const { pid } = teammate(s, 'slow')!;
    const cli = path.resolve('dist/cli/main.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'teammate', 'close', 'slow', '--socket', s.service.adminSocket]);
    expect(stdout).toBe('teammate slow closed: its running task was cut off (reported to its dispatcher)\n');
    expect(isAlive(pid!)).toBe(false);
    await waitDelivered(s, 'slow', 1);
    const [cut] = completionsOf(s, 'slow');
    expect(cut).toMatchObject({
      status: 'interrupted',
      origin: { conversation: 'general' },
      text: expect.stringContaining('closed while working on this task'),
    });
    expect((await s.waitForReplies('general', 2))[1]?.text).toBe(`relayed ${cut!.id}`);
  });

  it('survives a service restart: thread resumed, a task cut off by the restart is reported interrupted', async () => {
    const first = await start();
    await api(first, '/teammates/spawn', { caller: MAIN, name: 'keeper', task: 'remember this' });
    await waitDelivered(first, 'keeper', 1);
    const threadId = teammate(first, 'keeper')!.threadId;
    expect(threadId).toBeTruthy();
    await api(first, '/teammates/send', { caller: MAIN, name: 'keeper', text: 'hang' });
    await waitFor(() => teammate(first, 'keeper')?.runningTurnId != null, 10_000, 'the hanging task runs');
    const oldPid = teammate(first, 'keeper')!.pid!;
    await stopService(first);
    expect(isAlive(oldPid)).toBe(false);
    const saved = JSON.parse(readFileSync(path.join(env.stateDir, 'state.json'), 'utf8')) as { teammates: Record<string, { tasks: unknown[] }> };
    expect(saved.teammates.keeper?.tasks).toEqual([
      expect.objectContaining({ text: 'hang', result: null, startedAt: expect.any(Number), turnId: expect.any(String) }),
    ]);

    const second = await start();
    expect(teammate(second, 'keeper')).toMatchObject({ status: 'ready', threadId });
    await waitDelivered(second, 'keeper', 2);
    const cut = completionsOf(second, 'keeper').find((c) => c.status === 'interrupted')!;
    expect(cut.text).toContain('cut off by a Switchboard service restart');
    // The turn id was recorded when the turn started, so the id is still `<name>:<turn id>`.
    expect(cut.turnId).toBeTruthy();
    expect(cut.id).toBe(`keeper:${cut.turnId}`);
    expect(cut.origin).toBeNull();

    // The resumed thread keeps working: a new task runs on the same thread.
    await api(second, '/teammates/send', { caller: MAIN, name: 'keeper', text: 'after restart' });
    await waitDelivered(second, 'keeper', 3);
    expect(teammate(second, 'keeper')).toMatchObject({ threadId, status: 'ready' });
    const last = env.model.requests.filter((r) => r.lastUserText === `${TASK_HEADER}after restart`).at(-1);
    expect(last?.allText).toContain('remember this');
  });
});
