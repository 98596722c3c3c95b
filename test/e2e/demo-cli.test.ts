/**
 * End-to-end through the built CLI: `switchboard demo`, `status`, `config check`,
 * graceful SIGTERM shutdown and thread resumption across restarts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childPids, commandLine, isAlive, killLeftoverClis, pollUntil, REPO_ROOT, runCli, startDemoCli, type DemoCli } from '../support/e2e-cli.js';
import { DEMO_FAIL_MESSAGE, DEMO_MARK, DEMO_TRIGGERS, demoMarkdownText, demoSlowText } from '../../src/demo/demo-script.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

interface StatusJson {
  pid: number;
  startedAt: string;
  dispatchers: Array<{
    id: string;
    status: string;
    threadId: string | null;
    queueDepth: number;
    /** Pid of the dispatcher's codex app-server child. */
    pid: number | null;
    restartCount: number;
    lastError: string | null;
    runningTurnAgeMs: number | null;
  }>;
  channels: Array<{ id: string; type: string }>;
}

interface WebMessageJson {
  id: string;
  role: string;
  text: string;
  replyTo?: string;
}

async function statusJson(socket: string): Promise<StatusJson> {
  const r = await runCli(['status', '--socket', socket, '--json']);
  expect(r.code, `status --json failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
}

/** POSTs `text` to the general conversation and polls (≤ 15 s) until the reply to it (assistant or system) is stored. */
async function sendAndAwaitReply(url: string, text: string): Promise<{ messageId: string; reply: WebMessageJson }> {
  const post = await fetch(`${url}/api/conversations/general/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  const accepted = (await post.json()) as { messageId?: string; position?: number };
  expect(post.status, JSON.stringify(accepted)).toBe(202);
  expect(accepted.messageId).toEqual(expect.any(String));
  expect(accepted.position).toEqual(expect.any(Number));
  const messageId = accepted.messageId!;
  const reply = await pollUntil(async () => {
    const res = await fetch(`${url}/api/conversations/general/messages`);
    const body = (await res.json()) as { messages: WebMessageJson[] };
    return body.messages.find((m) => m.role !== 'user' && m.replyTo === messageId);
  }, `the reply to ${messageId}`);
  return { messageId, reply };
}

afterAll(async () => {
  await killLeftoverClis();
  await cleanupTempDirs();
});

describe('switchboard demo (CLI)', () => {
  let demo: DemoCli;
  let stateDir: string;

  beforeAll(async () => {
    // The demo's default state dir name, so `status` run from the parent folder finds it unaided.
    stateDir = path.join(makeTempDir('sb-e2e-demo-'), '.switchboard-demo');
    demo = await startDemoCli(stateDir);
  });

  afterAll(async () => {
    await demo?.proc.stop().catch(() => undefined);
  });

  it('logs the web chat URL', async () => {
    const listening = await demo.proc.waitForLog((l) => l.msg === 'web chat listening', { what: '"web chat listening"' });
    expect(listening.url).toBe(demo.url);
    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(demo.adminSocket).toBe(path.join(stateDir, 'admin.sock'));
  });

  it('writes the codex child log without ANSI colour codes', async () => {
    const log = readFileSync(path.join(stateDir, 'logs', 'codex-main.log'), 'utf8');
    expect(log).not.toContain('\u001b[');
  });

  it('status prints a table with the ready dispatcher', async () => {
    const r = await runCli(['status', '--socket', demo.adminSocket]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DISPATCHER\s+STATUS\s+THREAD\s+WAITING/);
    const row = lines.find((l) => l.startsWith('main'));
    expect(row, r.stdout).toBeDefined();
    expect(row!.split(/\s+/)[1]).toBe('ready');
  });

  it('status with no flags finds the demo running in the working directory', async () => {
    const r = await runCli(['status'], { cwd: path.dirname(stateDir) });
    expect(r.code, r.stderr).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.startsWith('main'));
    expect(row?.split(/\s+/)[1], r.stdout).toBe('ready');
  });

  it('a second demo names the flag that fixes its start: --state-dir, then --port', async () => {
    const sameDir = await runCli(['demo', '--port', '0', '--state-dir', stateDir], { timeoutMs: 30_000 });
    expect(sameDir.code).toBe(1);
    expect(sameDir.stderr).toContain('--state-dir <another dir>');
    const port = new URL(demo.url).port;
    const samePort = await runCli(['demo', '--port', port, '--state-dir', makeTempDir('sb-e2e-demo2-')], { timeoutMs: 30_000 });
    expect(samePort.code).toBe(1);
    expect(samePort.stderr).toContain(`port ${port} is already in use`);
    expect(samePort.stderr).toContain('--port <port>');
  });

  it('status --json describes the service and its dispatcher', async () => {
    const status = await statusJson(demo.adminSocket);
    expect(status.pid).toBe(demo.proc.pid);
    expect(status.channels).toEqual([{ id: 'local', type: 'web' }]);
    expect(status.dispatchers).toHaveLength(1);
    expect(status.dispatchers[0]).toEqual({
      id: 'main',
      status: 'ready',
      threadId: expect.any(String),
      idleForMs: null,
      queueDepth: expect.any(Number),
      waitingTurns: expect.any(Number),
      pid: expect.any(Number),
      restartCount: 0,
      lastError: null,
      runningTurnAgeMs: null,
      turnRetries: 0,
      failedReplies: 0,
      quarantined: 0,
      runningTurns: 0,
      // The demo binds its chat with the default scope: only the dispatcher's own thread.
      sessions: [expect.objectContaining({ key: 'dispatcher', scope: 'dispatcher', loaded: true, threadId: status.dispatchers[0]?.threadId })],
    });
  });

  it('answers a message posted through the HTTP API with the scripted reply', async () => {
    const text = `hello e2e ${Date.now()}`;
    const { messageId, reply } = await sendAndAwaitReply(demo.url, text);
    expect(reply.role).toBe('assistant');
    expect(reply.text).toContain('[scripted demo model]');
    expect(reply.text).toContain(text);

    const history = (await (await fetch(`${demo.url}/api/conversations/general/messages`)).json()) as { messages: WebMessageJson[] };
    expect(history.messages.find((m) => m.id === messageId)).toMatchObject({ role: 'user', text });
  });

  it('answers each demo trigger as the README documents it', async () => {
    const help = (await sendAndAwaitReply(demo.url, 'demo help')).reply;
    expect(help.text.startsWith(DEMO_MARK)).toBe(true);
    for (const t of DEMO_TRIGGERS) expect(help.text).toContain(t.trigger);

    const markdown = (await sendAndAwaitReply(demo.url, 'demo: markdown')).reply;
    expect(markdown.text).toBe(demoMarkdownText());

    const slow = (await sendAndAwaitReply(demo.url, 'demo: slow 2s')).reply;
    expect(slow.text).toBe(demoSlowText(2));

    // codex's own shell tool really ran the command in the dispatcher's workspace.
    const command = (await sendAndAwaitReply(demo.url, 'Demo: run a command')).reply;
    expect(command.text).toMatch(/^\[scripted demo model\] Codex ran `.+` with its own shell tool \(exit code 0, [\d.]+ s\)\. Its output:/);
    expect(command.text).toContain(`hello from ${process.platform === 'linux' ? 'Linux' : ''}`);
    expect(command.text).toContain(path.join(stateDir, 'workspace'));

    const fail = (await sendAndAwaitReply(demo.url, 'demo: fail')).reply;
    expect(fail.role).toBe('system');
    expect(fail.text).toContain('could not answer');
    expect(fail.text).toContain(DEMO_FAIL_MESSAGE);
  });

  it('stops on SIGTERM: exit 0, admin socket removed, codex child gone', async () => {
    const status = await statusJson(demo.adminSocket);
    const servicePid = status.pid;
    expect(servicePid).toBe(demo.proc.pid);
    const codexPid = status.dispatchers[0]?.pid;
    const children = childPids(servicePid);
    const describeChildren = `children of ${servicePid}: ${children.map((p) => `${p}: ${commandLine(p)}`).join('; ') || 'none'}`;
    expect(codexPid, describeChildren).toEqual(expect.any(Number));
    expect(children, describeChildren).toContain(codexPid);
    expect(commandLine(codexPid!)).toMatch(/codex.*app-server/);
    if (demo.codexPid !== undefined) expect(codexPid).toBe(demo.codexPid);
    expect(existsSync(demo.adminSocket)).toBe(true);

    const exit = await demo.proc.stop();
    expect(exit, demo.proc.output()).toEqual({ code: 0, signal: null });
    expect(isAlive(servicePid)).toBe(false);
    expect(existsSync(demo.adminSocket)).toBe(false);
    // The service waits for its codex child before exiting, so it should already be gone; allow a moment anyway.
    await pollUntil(() => (children.some(isAlive) ? undefined : true), `the children of ${servicePid} (${children.join(', ')}) to exit`, 3000);
    expect(demo.proc.lines.some((l) => l.msg === 'switchboard stopped')).toBe(true);
  });
});

describe('switchboard status / config check (CLI)', () => {
  it('status on a socket nobody listens on exits 3 with "not running"', async () => {
    const dir = makeTempDir('sb-e2e-nosock-');
    const r = await runCli(['status', '--socket', path.join(dir, 'nope.sock')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('not running');
  });

  it('status with no flags and no service names every path it tried and the flags to pass', async () => {
    const dir = makeTempDir('sb-e2e-nothing-');
    const r = await runCli(['status'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(path.join(dir, '.switchboard-demo', 'admin.sock'));
    expect(r.stderr).toContain('--config <file>');
    expect(r.stderr).toContain('--socket <path>');
  });

  it('--version prints the package version and exits 0', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
  });

  it('usage errors exit 2 with the usage text', async () => {
    const unknownCommand = await runCli(['no-such-command']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'no-such-command'");
    const unknownOption = await runCli(['status', '--no-such-flag']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain('Usage: switchboard status');
  });

  it('config check accepts the example config', async () => {
    const r = await runCli(['config', 'check', 'config/switchboard.example.json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ok');
  });

  it('config check rejects a binding to an unknown channel with exit 2 and the path', async () => {
    const dir = makeTempDir('sb-e2e-badcfg-');
    const file = path.join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        stateDir: path.join(dir, 'state'),
        channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
        dispatchers: [{ id: 'main', cwd: path.join(dir, 'work'), bindings: [{ channel: 'no-such-channel' }] }],
      }),
    );
    const r = await runCli(['config', 'check', file]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stdout + r.stderr).toContain('config error at dispatchers[0].bindings[0].channel');
  });
});

describe('restart through the CLI', () => {
  it('resumes the same thread after SIGTERM and a new start on the same state dir', async () => {
    const stateDir = makeTempDir('sb-e2e-restart-');

    const first = await startDemoCli(stateDir);
    const before = (await statusJson(first.adminSocket)).dispatchers[0];
    expect(before?.threadId).toEqual(expect.any(String));
    // codex persists a thread with its first turn; one that never ran a turn is not resumable.
    await sendAndAwaitReply(first.url, 'remember me');
    expect(await first.proc.stop(), first.proc.output()).toEqual({ code: 0, signal: null });

    const second = await startDemoCli(stateDir);
    try {
      const after = (await statusJson(second.adminSocket)).dispatchers[0];
      expect(after?.status).toBe('ready');
      expect(after?.threadId).toBe(before?.threadId);
      const ready = await second.proc.waitForLog((l) => l.msg === 'codex runtime ready', { what: '"codex runtime ready"' });
      expect(ready.thread).toBe('resumed');
    } finally {
      expect(await second.proc.stop(), second.proc.output()).toEqual({ code: 0, signal: null });
    }
  });
});
