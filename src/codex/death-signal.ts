/**
 * Makes a child die with the service: the child is started through util-linux `setpriv
 * --pdeathsig KILL -- <program> …`, which sets Linux's `PR_SET_PDEATHSIG` (prctl(2)) and then
 * execs the program in the same process, so the kernel SIGKILLs the child the moment the service
 * dies, even by `kill -9`, where no exit handler of ours can run.
 *
 * Why this mechanism: it is the kernel's own, needs no cooperation from codex (a liveness pipe
 * would need codex to watch it) and no code of ours in between (the pid we hold is codex's own:
 * setpriv execs, it does not fork). The death signal fires when the *thread* that forked the child
 * exits (prctl(2)); Node spawns children from its main thread (libuv `uv_spawn` runs on the
 * event loop), whose exit is the process's. The setting survives execve and is not inherited by
 * codex's own children (its shell commands, any stdio MCP servers an operator configured): those
 * are codex's to end; Switchboard's own teammate tools start no process (the service serves them).
 *
 * Where setpriv is missing (macOS, images without util-linux) or lacks `--pdeathsig` (busybox),
 * children are started directly and a warning is logged once: a killed service then leaves them
 * running until its next start reaps them (reap.ts). Debian and Ubuntu images have it (util-linux
 * is an essential package there, the Dockerfile's node:*-bookworm-slim included).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';

/** A program and its leading arguments to put before the child's own command line. */
export interface SpawnWrapper {
  file: string;
  args: string[];
}

export interface DeathSignalLookup {
  /** Default `process.platform`; anything but `linux` has no PR_SET_PDEATHSIG. */
  platform?: NodeJS.Platform;
  /** Directories searched for `setpriv`, in order; default `$PATH`, then /usr/bin and /bin. */
  dirs?: string[];
}

/**
 * The setpriv wrapper when it works here, else null. Probes the binary once per call (it runs
 * `setpriv --pdeathsig KILL -- setpriv --version`, a few ms); see {@link deathSignalWrapper} for the cached one.
 */
export function findDeathSignalWrapper(opts: DeathSignalLookup = {}): SpawnWrapper | null {
  if ((opts.platform ?? process.platform) !== 'linux') return null;
  const dirs = opts.dirs ?? [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/bin', '/bin'];
  for (const dir of dirs) {
    const file = path.join(dir, 'setpriv');
    if (!existsSync(file)) continue;
    const args = ['--pdeathsig', 'KILL', '--'];
    try {
      execFileSync(file, [...args, file, '--version'], { stdio: 'ignore', timeout: 5000 });
      return { file, args };
    } catch {
      // Not util-linux's setpriv (or not runnable): try the next one.
    }
  }
  return null;
}

let cached: { wrapper: SpawnWrapper | null } | null = null;

/**
 * The wrapper for every codex child of this process (looked up on first use, then cached); when
 * there is none, logs one warning (the first time) and returns null.
 */
export function deathSignalWrapper(logger: Logger): SpawnWrapper | null {
  if (!cached) {
    cached = { wrapper: findDeathSignalWrapper() };
    if (!cached.wrapper) {
      logger.warn(
        { platform: process.platform },
        'setpriv (util-linux) with --pdeathsig is not available: codex children started now outlive a killed service until its next start reaps them',
      );
    }
  }
  return cached.wrapper;
}
