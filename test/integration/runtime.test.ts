/**
 * CodexRuntime against the real codex app-server and the scripted model.
 */
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CodexRuntime } from '../../src/codex/runtime.js';
import type { SandboxMode } from '../../src/codex/protocol.js';
import { RpcError } from '../../src/codex/rpc-client.js';
import type { ServerRequestReply } from '../../src/codex/server-requests.js';
import type { TurnServerRequest } from '../../src/codex/turn-runner.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/types.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { FakeClock, waitFor } from '../support/fake-clock.js';
import { testRuntime } from '../support/runtime.js';

let env: CodexTestEnv;
let store: StateStore;
const runtimes: CodexRuntime[] = [];

function track(r: CodexRuntime): CodexRuntime {
  runtimes.push(r);
  return r;
}

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeEach(async () => {
  env = await codexTestEnv((req) => ({ kind: 'reply', text: `echo: ${req.lastUserText}` }));
  store = await openStateStore(env.stateDir);
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  await store.close();
  await env.cleanup();
});

describe('CodexRuntime (real codex)', () => {
  it('handshakes, persists the thread id and runs a turn', async () => {
    const rt = track(testRuntime(env, store));
    expect(await rt.start()).toEqual({ status: 'ready' });
    const rec = store.getDispatcher('main');
    expect(rec?.status).toBe('ready');
    expect(rec?.threadId).toMatch(/^[0-9a-f-]{36}$/);
    expect(rec?.lastReadyAt).toBeTypeOf('number');
    const outcome = await rt.runTurn('hello there', 20_000);
    expect(outcome).toMatchObject({ status: 'completed', text: 'echo: hello there' });
  });

  it('runs the app-server, and the commands its agent runs, at the configured niceness', async () => {
    env.model.setScript((req) => {
      if (!req.hasFunctionOutput('nice')) return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: 'nice', login: false }, callId: 'nice' };
      return { kind: 'reply', text: `tool said: ${req.functionOutput('nice') ?? '(nothing)'}` };
    });
    const rt = track(testRuntime(env, store, { overrides: { niceness: 7 } }));
    expect(await rt.start()).toEqual({ status: 'ready' });
    expect(os.getPriority(rt.pid!)).toBe(7);
    const outcome = await rt.runTurn('how nice are you?', 20_000);
    expect(outcome.status === 'completed' && outcome.text).toMatch(/Process exited with code 0[\s\S]*\n7\s*$/);
  });

  it('applies role-gated skill roots: the bundled dispatcher skill is listed', async () => {
    const rt = track(testRuntime(env, store));
    await rt.start();
    const res = await rt.request('skills/list', { cwds: [env.workDir], forceReload: true });
    const names = res.data.flatMap((d) => d.skills.map((s) => s.name));
    expect(names).toContain('chat-dispatcher');
    expect(names).not.toContain('teammate-basics');
  });

  it('resumes the persisted thread after a runtime restart', async () => {
    const first = track(testRuntime(env, store));
    await first.start();
    await first.runTurn('remember me', 20_000);
    const threadId = first.threadId;
    await first.stop();
    const ready: string[] = [];
    const second = track(testRuntime(env, store));
    second.onReady((e) => ready.push(e.thread.status));
    await second.start();
    expect(second.threadId).toBe(threadId);
    expect(ready).toEqual(['resumed']);
    // The resumed thread carries the earlier turn into the next model request.
    await second.runTurn('again', 20_000);
    expect(env.model.requests.at(-1)?.allText).toContain('remember me');
  });

  it('starts a fresh thread and flags a warning when the rollout is gone', async () => {
    const first = track(testRuntime(env, store));
    await first.start();
    await first.runTurn('one', 20_000);
    const lost = first.threadId;
    await first.stop();
    await rm(path.join(env.codexHome, 'sessions'), { recursive: true, force: true });
    const second = track(testRuntime(env, store));
    const kinds: string[] = [];
    second.onReady((e) => kinds.push(e.thread.status));
    expect(await second.start()).toEqual({ status: 'ready' });
    expect(kinds).toEqual(['replaced']);
    const rec = store.getDispatcher('main');
    expect(rec?.threadId).not.toBe(lost);
    expect(rec?.lastLostThreadId).toBe(lost);
    expect(rec?.pendingLostThreadWarning).toBe(true);
  });

  it('replaces a thread that never ran a turn without a lost-history warning', async () => {
    const clock = new FakeClock();
    const rt = track(testRuntime(env, store, { clock }));
    await rt.start();
    const first = rt.threadId;
    process.kill(rt.pid!, 'SIGKILL');
    await waitFor(() => clock.pending().length === 1, 10_000, 'restart scheduled');
    clock.fireNext();
    await waitFor(() => rt.status === 'ready', 20_000, 'ready again');
    const rec = store.getDispatcher('main');
    expect(rec?.threadId).not.toBe(first);
    expect(rec?.pendingLostThreadWarning).toBe(false);
    expect(rec?.lastLostThreadId).toBeNull();
  });

  it('a first turn cut off by kill -9 before codex wrote its rollout: a fresh thread, no warning', async () => {
    env.model.setScript(() => ({ kind: 'hang' }));
    const clock = new FakeClock();
    const rt = track(testRuntime(env, store, { clock }));
    await rt.start();
    const first = rt.threadId;
    const kinds: string[] = [];
    rt.onReady((e) => kinds.push(e.thread.status));
    const turn = rt.runTurn('first words', 60_000);
    // As early as possible: codex may not have written the thread's rollout yet.
    await waitFor(() => rt.runningTurn?.id != null, 10_000, 'turn/start answered');
    process.kill(rt.pid!, 'SIGKILL');
    expect((await turn).status).toBe('disconnected');
    // The state codex leaves when it dies before writing the thread's rollout (seen under load).
    await rm(path.join(env.codexHome, 'sessions'), { recursive: true, force: true });
    await waitFor(() => clock.pending().length === 1, 10_000, 'restart scheduled');
    clock.fireNext();
    await waitFor(() => kinds.length === 1, 20_000, 'ready again');
    const rec = store.getDispatcher('main');
    expect(kinds).toEqual(['started']);
    expect(rec?.threadId).not.toBe(first);
    expect(rec?.pendingLostThreadWarning).toBe(false);
    expect(rec?.lastLostThreadId).toBeNull();
    expect(rec?.threadHasHistory).toBe(false);
  });

  it('restarts after kill -9 with backoff and leaves nothing behind on stop', async () => {
    const clock = new FakeClock();
    const rt = track(testRuntime(env, store, { clock }));
    await rt.start();
    await rt.runTurn('before crash', 20_000);
    const pid = rt.pid!;
    const threadId = rt.threadId;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => clock.pending().length === 1, 10_000, 'restart scheduled');
    expect(rt.status).toBe('degraded');
    expect(store.getDispatcher('main')?.lastError).toMatch(/exited|closed/);
    expect(clock.pending().map((t) => t.delayMs)).toEqual([1000]);
    clock.fireNext();
    await waitFor(() => rt.status === 'ready', 20_000, 'ready again');
    expect(rt.pid).not.toBe(pid);
    expect(rt.threadId).toBe(threadId);
    const rec = store.getDispatcher('main');
    expect(rec?.restartAttempts).toBe(0);
    expect(rec?.restartCount).toBe(1);
    expect(await rt.runTurn('after crash', 20_000)).toMatchObject({ status: 'completed', text: 'echo: after crash' });
    const pid2 = rt.pid!;
    const socket = rt.socketPath!;
    await stat(socket); // exists while running
    await rt.stop();
    await rt.stop(); // idempotent
    expect(rt.status).toBe('stopped');
    expect(alive(pid2)).toBe(false);
    await expect(stat(path.dirname(socket))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('backs off 1 s doubling to the 30 s cap while starts fail, and resets after success', async () => {
    const clock = new FakeClock();
    // A real wrapper that fails its first 7 starts, then execs the real codex.
    const counter = path.join(env.stateDir, 'attempts');
    const wrapper = path.join(env.stateDir, 'flaky-codex.sh');
    await writeFile(counter, '0');
    await writeFile(wrapper, `#!/bin/sh\nn=$(cat "${counter}"); n=$((n+1)); echo $n > "${counter}"\n[ "$n" -le 7 ] && exit 1\nexec "${env.codexBin}" "$@"\n`);
    await chmod(wrapper, 0o755);
    const rt = track(testRuntime(env, store, { clock, bin: wrapper }));
    expect((await rt.start()).status).toBe('failed');
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      // While a start runs, its start timeout is pending on the same clock; the restart timer is the only one once degraded.
      await waitFor(() => rt.status === 'degraded' && clock.pending().length === 1, 10_000, `restart ${i + 1} scheduled`);
      delays.push(clock.fireNext());
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    await waitFor(() => rt.status === 'ready', 20_000, 'ready after flaky starts');
    expect(store.getDispatcher('main')?.restartAttempts).toBe(0);
    // After a successful start the next crash starts again at the base delay.
    process.kill(rt.pid!, 'SIGKILL');
    await waitFor(() => rt.status === 'degraded' && clock.pending().length === 1, 10_000, 'restart after crash');
    expect(clock.pending()[0]?.delayMs).toBe(1000);
    // A stop cancels the pending restart.
    await rt.stop();
    expect(clock.pending()).toEqual([]);
  });

  it('interrupts a turn that exceeds its timeout', async () => {
    env.model.setScript(() => ({ kind: 'hang' }));
    const rt = track(testRuntime(env, store));
    await rt.start();
    const outcome = await rt.runTurn('never answered', 1500);
    expect(outcome).toMatchObject({ status: 'interrupted', reason: 'timeout' });
    // The runtime is free for the next turn.
    env.model.setScript((req) => ({ kind: 'reply', text: `echo: ${req.lastUserText}` }));
    expect(await rt.runTurn('next', 20_000)).toMatchObject({ status: 'completed', text: 'echo: next' });
  });

  it('runs the turn timeout on the injected clock: firing it interrupts the turn, with no real wait', async () => {
    env.model.setScript(() => ({ kind: 'hang' }));
    const clock = new FakeClock();
    const rt = track(testRuntime(env, store, { clock }));
    // The start timeout is on the fake clock too; it never fires here.
    await rt.start();
    const turn = rt.runTurn('never answered', 3_600_000);
    await waitFor(
      () => clock.pending().some((t) => t.delayMs === 3_600_000) && env.model.requests.length === 1,
      20_000,
      'the turn timer and the model request',
    );
    const timeout = clock.pending().find((t) => t.delayMs === 3_600_000)!;
    // Fire just that timer (FakeClock.fireNext would pick the earliest, maybe an RPC request timeout).
    timeout.cancelled = true;
    timeout.fn();
    expect(await turn).toMatchObject({ status: 'interrupted', reason: 'timeout' });
  });

  it('does not lose an interrupt requested right after turn/start (codex drops one sent before turn/started)', async () => {
    env.model.setScript(() => ({ kind: 'hang' }));
    const rt = track(testRuntime(env, store));
    await rt.start();
    // Without waiting for turn/started each of these settles only by the 10 s fallback; the test
    // timeout below (well under 3 × 10 s) is what fails then.
    for (let i = 0; i < 3; i++) {
      const turn = rt.runTurn(`hang ${i}`, 60_000);
      expect(await rt.interruptTurn()).toBe(true);
      expect(await turn).toMatchObject({ status: 'interrupted', reason: 'requested' });
    }
  }, 9_000);

  it('waits for an awaited MCP server to start before it is ready, so the first turn is offered its tools', async () => {
    // A streamable HTTP MCP server (as the service serves its teammate tools) that holds
    // `initialize` until the test opens the gate.
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let initializing = false;
    const server = http.createServer((req, res) => {
      void (async () => {
        let raw = '';
        for await (const chunk of req) raw += String(chunk);
        if (req.method !== 'POST') return void res.writeHead(405).end();
        const body = JSON.parse(raw) as { method?: string };
        if (body.method === 'initialize') {
          initializing = true;
          await gate;
        }
        const mcp = new McpServer({ name: 'gated', version: '0' });
        mcp.registerTool('ping', { description: 'ping' }, () => ({ content: [{ type: 'text', text: 'pong' }] }));
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on('close', () => void mcp.close());
        await mcp.connect(transport);
        await transport.handleRequest(req, res, body);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const q = JSON.stringify;
    try {
      const rt = track(
        testRuntime(env, store, {
          overrides: {
            overrides: {
              'mcp_servers.gated.url': q(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`),
              'mcp_servers.gated.startup_timeout_sec': '60',
            },
            awaitMcpServers: ['gated'],
            startTimeoutMs: 120_000,
          },
        }),
      );
      let ready = false;
      const started = rt.start().then((r) => {
        ready = true;
        return r;
      });
      await waitFor(() => initializing && store.getDispatcher('main')?.threadId != null, 20_000, 'the MCP server asked to initialize and the thread');
      // Without the wait, start() resolves right after the thread opened; give it the chance to.
      await new Promise((r) => setTimeout(r, 300));
      expect(ready).toBe(false);
      expect(rt.status).toBe('starting');
      open();
      expect(await started).toEqual({ status: 'ready' });
      await rt.runTurn('first turn', 20_000);
      expect(env.model.requests[0]?.toolNames).toContain('mcp__gated');
    } finally {
      open();
      server.closeAllConnections();
      server.close();
    }
  });

  it('reports a fatal model error as a failed turn', async () => {
    env.model.setScript(() => ({ kind: 'streamError', message: 'model exploded' }));
    const rt = track(testRuntime(env, store));
    await rt.start();
    const outcome = await rt.runTurn('boom', 20_000);
    expect(outcome.status).toBe('failed');
    expect(outcome.status === 'failed' && outcome.error).toContain('model exploded');
  });

  it('a script that throws fails the turn at once with the scripted model’s line naming the request (no retries)', async () => {
    env.model.setScript((req) => {
      throw new Error(`unexpected: ${req.lastUserText}`);
    });
    const rt = track(testRuntime(env, store));
    await rt.start();
    const before = env.model.requests.length;
    const outcome = await rt.runTurn('surprise', 20_000);
    expect(outcome.status).toBe('failed');
    expect(outcome.status === 'failed' && outcome.error).toContain('script failed on request');
    expect(outcome.status === 'failed' && outcome.error).toContain('unexpected: surprise');
    expect(env.model.requests.length - before).toBe(1);
  });

  it('declines approval requests at once: the command does not run and the turn still completes', async () => {
    let call = 0;
    env.model.setScript((req) => {
      call++;
      if (call === 1) return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: 'touch approved.txt' }, callId: 'call-1' };
      return { kind: 'reply', text: `tool said: ${req.functionOutput('call-1') ?? '(nothing)'}` };
    });
    const rt = track(testRuntime(env, store, { overrides: { thread: { sandbox: 'read-only', approvalPolicy: 'untrusted' } } }));
    await rt.start();
    const outcome = await rt.runTurn('please touch a file', 20_000);
    expect(outcome.status).toBe('completed');
    expect(call).toBe(2);
    await expect(stat(path.join(env.workDir, 'approved.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    // codex 0.169 reports our refusal to the model as `Rejected("approval request failed")`.
    expect(outcome.status === 'completed' && outcome.text).toMatch(/tool said: exec_command failed: .*Rejected.*approval request failed/);
  });

  it('hands an approval request of the running turn to its hook: accept runs the command', async () => {
    let call = 0;
    env.model.setScript((req) => {
      call++;
      if (call === 1) return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: 'touch hooked.txt', login: false }, callId: 'call-h' };
      return { kind: 'reply', text: `tool said: ${req.functionOutput('call-h') ?? '(nothing)'}` };
    });
    const rt = track(testRuntime(env, store, { overrides: { thread: { sandbox: 'workspace-write', approvalPolicy: 'untrusted' } } }));
    await rt.start();
    const asked: TurnServerRequest[] = [];
    const outcome = await rt.runTurn('please touch a file', 20_000, {
      onServerRequest: async (r) => {
        asked.push(r);
        return { status: 'result', result: { decision: 'accept' } } as ServerRequestReply;
      },
    });
    expect(outcome.status).toBe('completed');
    expect(asked.map((a) => a.request.method)).toEqual(['item/commandExecution/requestApproval']);
    const first = asked[0]?.request;
    expect(first?.method === 'item/commandExecution/requestApproval' && first.params.command).toContain('touch hooked.txt');
    expect(asked[0]?.signal.aborted).toBe(false);
    await stat(path.join(env.workDir, 'hooked.txt'));
  });

  it('aborts a pending request when its turn is interrupted, and codex is not left waiting', async () => {
    env.model.setScript((req) => {
      if (!req.hasFunctionOutput('call-w')) return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: 'touch waited.txt' }, callId: 'call-w' };
      return { kind: 'reply', text: 'done' };
    });
    const rt = track(testRuntime(env, store, { overrides: { thread: { sandbox: 'read-only', approvalPolicy: 'untrusted' } } }));
    await rt.start();
    let aborted: unknown = null;
    let askedResolve!: () => void;
    const asked = new Promise<void>((r) => (askedResolve = r));
    const running = rt.runTurn('please touch a file', 20_000, {
      onServerRequest: (r) =>
        new Promise<ServerRequestReply>((resolve) => {
          askedResolve();
          r.signal.addEventListener('abort', () => {
            aborted = r.signal.reason;
            resolve({ status: 'error', message: 'no longer wanted' });
          });
        }),
    });
    await asked;
    expect(await rt.interruptTurn()).toBe(true);
    const outcome = await running;
    expect(outcome.status).toBe('interrupted');
    expect(['resolved', 'turnEnded']).toContain(aborted);
    await expect(stat(path.join(env.workDir, 'waited.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('tells an unknown method apart from a bad value in a known method', async () => {
    const rt = track(testRuntime(env, store));
    await rt.start();
    const bad = await rt.request('thread/start', { sandbox: 'bogus-mode' as SandboxMode }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(bad).toBeInstanceOf(RpcError);
    expect((bad as RpcError).message).toContain('unknown variant `bogus-mode`');
    expect((bad as RpcError).isUnknownMethod).toBe(false);
    const unknown = await rt.request('no/such-method' as 'thread/start', {}).then(
      () => null,
      (e: unknown) => e,
    );
    expect((unknown as RpcError).isUnknownMethod).toBe(true);
  });

  it('a failed start leaves no process and no socket dir behind', async () => {
    // Socket dirs are made under os.tmpdir(); point it at an empty dir for this test.
    const tmp = path.join(env.stateDir, 'tmp');
    await mkdir(tmp);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const rt = track(testRuntime(env, store, { bin: '/bin/false' }));
      const res = await rt.start();
      expect(res).toMatchObject({ status: 'failed', error: expect.stringMatching(/exited before listening/) });
      expect(rt.pid).toBeUndefined();
      expect(await readdir(tmp)).toEqual([]);
      await rt.stop();
      expect(store.getDispatcher('main')?.status).toBe('stopped');
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});
