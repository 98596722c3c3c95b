/**
 * A direct `codex app-server` start, the baseline of the benches: spawn, connect, `initialize`, the
 * dispatcher skill roots and a thread opened with the demo's settings — what a Switchboard runtime
 * does before it is ready, without Switchboard.
 */
import { mkdir } from 'node:fs/promises';
import { resolveBundledCodex } from '../src/codex/binary.js';
import { childEnvironment, NO_CODEX_ENV, NO_SECRETS } from '../src/codex/child-env.js';
import { applySkillRoots, initialize, openThread } from '../src/codex/handshake.js';
import { CodexProcess } from '../src/codex/process.js';
import { RpcClient } from '../src/codex/rpc-client.js';
import { systemClock } from '../src/clock.js';
import type { Logger } from '../src/log.js';
import { skillRootsFor } from '../src/skills/roots.js';

export interface DirectAppServer {
  proc: CodexProcess;
  rpc: RpcClient;
  threadId: string;
  close(): Promise<void>;
}

/** Starts one app-server in `cwd` with `codexHome` and opens a thread; the log goes to `logFile`. */
export async function startDirectAppServer(codexHome: string, cwd: string, logFile: string, logger: Logger): Promise<DirectAppServer> {
  await mkdir(cwd, { recursive: true });
  const codex = resolveBundledCodex();
  const proc = await CodexProcess.spawn(
    {
      bin: codex.bin,
      pathDirs: codex.pathDirs,
      overrides: {},
      codexHome,
      env: childEnvironment(process.env, NO_CODEX_ENV, NO_SECRETS).env,
      cwd,
      logFile,
      // As Switchboard's default `codex.niceness`, so the floor runs codex under the same priority.
      niceness: 10,
      logger,
    },
    30_000,
  );
  let rpc: RpcClient | undefined;
  const close = async (): Promise<void> => {
    await rpc?.close().catch(() => undefined);
    await proc.kill().catch(() => undefined);
  };
  try {
    rpc = await RpcClient.connect(proc.socketPath, { logger, requestTimeoutMs: 30_000, timeoutMs: 30_000, clock: systemClock });
    // Same handshake and thread settings as the demo's runtime, so both threads see the same prompt.
    await initialize(rpc, 30_000);
    await applySkillRoots(rpc, skillRootsFor('dispatcher'), logger);
    const thread = await openThread(rpc, null, { sandbox: 'read-only', approvalPolicy: 'never', model: null, developerInstructions: null, cwd }, logger);
    return { proc, rpc, threadId: thread.threadId, close };
  } catch (err) {
    await close();
    throw err;
  }
}
