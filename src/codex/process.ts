/**
 * One `codex app-server` child process listening on a fresh unix socket.
 *
 * Spawned with execa in exactly the environment it is given (./child-env.ts); stdout/stderr are
 * appended to per-runtime log files.
 * `kill()` leaves no process and no socket file behind. On Linux the child is started through
 * `setpriv --pdeathsig KILL` so that it dies with the service even on `kill -9` (death-signal.ts),
 * and it is recorded in the `ChildRegistry` while it runs, so a next start can reap a leftover (reap.ts).
 * Its niceness is raised right after spawn (config `codex.niceness`), so under CPU contention the
 * service's acknowledgements and replies go before agent work.
 */
import { rotateIfLarge } from '../state/retention.js';
import { execa, type ResultPromise } from 'execa';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../log.js';
import { ensurePrivateFile } from '../state/private-files.js';
import type { ChildRegistry } from './child-registry.js';
import { deathSignalWrapper } from './death-signal.js';

export interface CodexProcessOptions {
  bin: string;
  /** Extra PATH entries (bundled tools). */
  pathDirs: string[];
  /** `-c key=value` overrides (values are TOML literals). */
  overrides: Record<string, string>;
  /** CODEX_HOME; undefined = the one of `env`, if any. */
  codexHome?: string;
  /**
   * The child's whole environment (./child-env.ts); nothing of the service's own is inherited.
   * `NO_COLOR`, `CODEX_HOME` and the `pathDirs` are added to it.
   */
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** File that receives the child's stdout and stderr (appended; created or made 0600 first). */
  logFile: string;
  /** Before each spawn a log larger than this is rotated to `<logFile>.1`, bytes; absent: never. */
  logMaxBytes?: number;
  logger: Logger;
  /** Where the running child is recorded (added on spawn, removed on exit); none = not recorded. */
  children?: ChildRegistry;
  /** Niceness (0–19) set on the child right after spawn; its own children inherit it. Absent or 0: unchanged. */
  niceness?: number;
}

export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

export class CodexProcess {
  private exitInfo: ProcessExit | null = null;

  private constructor(
    private readonly child: ResultPromise,
    /** Absolute path of the unix socket the app-server listens on. */
    readonly socketPath: string,
    private readonly socketDir: string,
    /** Resolves when the child has exited (never rejects). */
    readonly exited: Promise<ProcessExit>,
  ) {
    void exited.then((e) => (this.exitInfo = e));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Null while running. */
  get exit(): ProcessExit | null {
    return this.exitInfo;
  }

  /**
   * Spawns the app-server and waits until its socket exists.
   * @throws Error when the child exits first or the socket does not appear within `timeoutMs`
   *   (the child is killed and the socket dir removed before throwing).
   */
  static async spawn(opts: CodexProcessOptions, timeoutMs: number): Promise<CodexProcess> {
    // A short path under the OS temp dir: unix socket paths are limited to ~107 bytes.
    if (opts.logMaxBytes !== undefined && (await rotateIfLarge(opts.logFile, opts.logMaxBytes).catch(() => false)))
      opts.logger.info({ logFile: opts.logFile }, 'codex log rotated');
    // The log holds what the agent did: private (0600) before the child appends to it.
    await ensurePrivateFile(opts.logFile);
    const socketDir = await mkdtemp(path.join(os.tmpdir(), 'sbx-'));
    const socketPath = path.join(socketDir, 'app-server.sock');
    const args = ['app-server', '--listen', `unix://${socketPath}`];
    for (const [k, v] of Object.entries(opts.overrides)) args.push('-c', `${k}=${v}`);
    // The child writes to a log file, not a terminal: no ANSI colour codes (tracing honours NO_COLOR).
    const env: Record<string, string> = { ...opts.env, NO_COLOR: '1' };
    if (opts.codexHome) env.CODEX_HOME = opts.codexHome;
    if (opts.pathDirs.length) env.PATH = [...opts.pathDirs, ...(opts.env.PATH ? [opts.env.PATH] : [])].join(path.delimiter);
    const wrapper = deathSignalWrapper(opts.logger);
    const [file, fileArgs] = wrapper ? [wrapper.file, [...wrapper.args, opts.bin, ...args]] : [opts.bin, args];
    const child = execa(file, fileArgs, {
      cwd: opts.cwd,
      env,
      // Secrets of the service must not reach codex nor the agent's commands.
      extendEnv: false,
      stdin: 'ignore',
      stdout: { file: opts.logFile, append: true },
      stderr: { file: opts.logFile, append: true },
      reject: false,
      cleanup: true,
      forceKillAfterDelay: 2000,
    });
    const exited: Promise<ProcessExit> = child.then(
      (r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null }),
      (err: unknown) => ({ code: null, signal: String(err) }),
    );
    const proc = new CodexProcess(child, socketPath, socketDir, exited);
    const pid = child.pid;
    if (pid !== undefined && opts.niceness) {
      // Raising a child's niceness needs no privilege; before codex forks anything, so its commands inherit it.
      try {
        os.setPriority(pid, opts.niceness);
      } catch (err) {
        opts.logger.warn({ pid, niceness: opts.niceness, err: String(err) }, 'could not lower the app-server priority');
      }
    }
    if (opts.children && pid !== undefined) {
      const children = opts.children;
      await children.add({ pid, marker: `unix://${socketPath}`, socketDir });
      void exited.then(() => children.remove(pid));
    }
    opts.logger.debug({ pid: child.pid, socketPath }, 'spawned codex app-server');
    try {
      await proc.waitForSocket(timeoutMs);
    } catch (err) {
      await proc.kill();
      throw err;
    }
    return proc;
  }

  private async waitForSocket(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitInfo) {
        throw new Error(`codex app-server exited before listening (code ${this.exitInfo.code}, signal ${this.exitInfo.signal}); see its log file`);
      }
      if (
        await stat(this.socketPath).then(
          () => true,
          () => false,
        )
      )
        return;
      if (Date.now() > deadline) throw new Error(`codex app-server did not open ${this.socketPath} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  /** SIGTERM, then SIGKILL after 2 s; waits for exit and removes the socket. Idempotent. */
  async kill(): Promise<void> {
    if (!this.exitInfo) this.child.kill('SIGTERM');
    await this.exited;
    await rm(this.socketDir, { recursive: true, force: true });
  }
}
