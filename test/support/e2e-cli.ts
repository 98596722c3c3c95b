/**
 * End-to-end helpers: spawn the built CLI (`dist/cli/main.js`), read its pino
 * JSON log lines, wait for a line, stop it with SIGTERM, and inspect processes
 * through /proc (Linux).
 *
 * Every long-running CLI is spawned in its own process group, so
 * `killLeftoverClis()` (call it from afterAll) also reaches the codex children.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { processArgv } from '../../src/codex/proc-info.js';

/** Repository root (two levels above test/support). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built CLI entry point. */
export const CLI_PATH = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** One parsed pino log line (only the fields the tests read are typed). */
export interface LogLine {
  msg?: string;
  level?: number;
  url?: string;
  adminSocket?: string;
  pid?: number;
  [key: string]: unknown;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running CLI process. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** JSON log lines from stdout so far. */
  readonly lines: readonly LogLine[];
  /** Raw stdout so far. */
  stdout(): string;
  /** Raw stderr so far. */
  stderr(): string;
  /** Raw stdout and stderr so far, labelled (for error messages). */
  output(): string;
  /** Resolves with the first log line (already seen or future) matching `pred`. */
  waitForLog(pred: (line: LogLine) => boolean, opts?: { timeoutMs?: number; what?: string }): Promise<LogLine>;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Null while running. */
  exitInfo(): ExitInfo | null;
  /** SIGTERM, then waits for exit; SIGKILLs the group and rejects after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
}

const running = new Set<CliProcess>();

function assertBuilt(): void {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` before the e2e tests`);
}

/**
 * Spawns `node dist/cli/main.js ...args` (cwd = repo root unless given). `entry` replaces
 * `node dist/cli/main.js` with another program and its leading arguments (e.g. an image's ENTRYPOINT).
 */
export function spawnCli(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; entry?: readonly [string, ...string[]] } = {}): CliProcess {
  if (!opts.entry) assertBuilt();
  const [program, ...lead] = opts.entry ?? [process.execPath, CLI_PATH];
  const child = spawn(program, [...lead, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so leftovers (codex children too) can be killed at once
  });
  if (child.pid === undefined) throw new Error(`could not spawn the CLI (${args.join(' ')})`);
  const pid = child.pid;

  const lines: LogLine[] = [];
  let stdout = '';
  let stderr = '';
  let pending = '';
  const waiters = new Set<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let exit: ExitInfo | null = null;

  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      const raw = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!raw.startsWith('{')) continue;
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));

  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
    child.once('error', () => {
      exit ??= { code: null, signal: null };
      resolve(exit);
    });
  });

  const output = (): string => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
  const describe = `switchboard ${args.join(' ')} (pid ${pid})`;

  const proc: CliProcess = {
    child,
    pid,
    lines,
    stdout: () => stdout,
    stderr: () => stderr,
    output,
    exited,
    exitInfo: () => exit,
    waitForLog(pred, o = {}) {
      const timeoutMs = o.timeoutMs ?? 15_000;
      const what = o.what ?? 'a matching log line';
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise<LogLine>((resolve, reject) => {
        const waiter = {
          pred,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${describe}: no ${what} within ${timeoutMs} ms\n${output()}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then((e) => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`${describe}: exited (code ${e.code}, signal ${e.signal}) before ${what}\n${output()}`));
        });
      });
    },
    async stop(timeoutMs = 10_000) {
      if (exit) return exit;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
      const res = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (res === 'timeout') {
        killGroup(pid);
        await exited;
        throw new Error(`${describe}: did not exit within ${timeoutMs} ms of SIGTERM (killed)\n${output()}`);
      }
      return res;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // group already gone
  }
}

/** SIGKILLs the process group of every CLI spawned by spawnCli that is still running. Never rejects. */
export async function killLeftoverClis(): Promise<void> {
  const procs = [...running];
  for (const p of procs) killGroup(p.pid);
  await Promise.all(procs.map((p) => p.exited));
}

/** A demo started through the CLI. */
export interface DemoCli {
  proc: CliProcess;
  /** Web chat URL. */
  url: string;
  adminSocket: string;
  /** Pid of the codex app-server child, from its "initialized" log line. */
  codexPid: number | undefined;
}

/** `switchboard demo --port 0 --state-dir <stateDir>`; resolves at its "demo ready" line. */
export async function startDemoCli(stateDir: string, timeoutMs = 20_000): Promise<DemoCli> {
  const proc = spawnCli(['demo', '--port', '0', '--state-dir', stateDir]);
  try {
    const ready = await proc.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('demo ready'), {
      timeoutMs,
      what: '"demo ready" log line',
    });
    if (typeof ready.url !== 'string' || typeof ready.adminSocket !== 'string') {
      throw new Error(`"demo ready" line lacks url/adminSocket: ${JSON.stringify(ready)}`);
    }
    const init = proc.lines.find((l) => l.msg === 'codex app-server initialized');
    return { proc, url: ready.url, adminSocket: ready.adminSocket, codexPid: typeof init?.pid === 'number' ? init.pid : undefined };
  } catch (err) {
    await proc.stop().catch(() => undefined);
    throw err;
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short CLI command to completion (status, config check); `cwd`, `env`, `entry` as for spawnCli. */
export async function runCli(
  args: readonly string[],
  opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; entry?: readonly [string, ...string[]] } = {},
): Promise<CliResult> {
  const { timeoutMs: _t, ...spawnOpts } = opts;
  const proc = spawnCli(args, spawnOpts);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const res = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (res === 'timeout') {
    killGroup(proc.pid);
    await proc.exited;
    throw new Error(`switchboard ${args.join(' ')} did not finish within ${timeoutMs} ms\n${proc.output()}`);
  }
  // 'exit' may fire before the pipes are drained; wait for them to close.
  await Promise.all(
    [proc.child.stdout, proc.child.stderr].map(
      (s) => new Promise<void>((r) => (s === null || s.readableEnded || s.destroyed ? r() : s.once('close', () => r()))),
    ),
  );
  return { code: res.code, stdout: proc.stdout(), stderr: proc.stderr() };
}

/** True when `pid` exists and is not a zombie (src/codex/proc-info.ts). */
export { isProcessAlive as isAlive } from '../../src/codex/proc-info.js';

/** `/proc/<pid>/stat` fields after the command name: [state, ppid, ...]. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Pids of live (non-zombie) direct children of `pid` (like `pgrep -P`), read from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const [state, ppid] = statFields(Number(name));
      if (Number(ppid) === pid && state !== 'Z') out.push(Number(name));
    } catch {
      // exited while scanning
    }
  }
  return out;
}

/** Command line of `pid` (NUL-separated args joined by spaces), or '' when gone. */
export function commandLine(pid: number): string {
  return processArgv(pid)?.join(' ') ?? '';
}

/** Polls `fn` until it returns a non-undefined value; rejects with `what` after `timeoutMs`. */
export async function pollUntil<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${String(lastErr)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
