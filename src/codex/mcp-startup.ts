/**
 * Waiting for a thread's MCP servers to start, so the first turn is offered their tools.
 *
 * Source: codex app-server v2 `mcpServer/startupStatus/updated` ({threadId, name, status, error}).
 * Measured with codex 0.169: codex starts a thread's MCP servers in the background; `starting`
 * arrives before the `thread/start` / `thread/resume` response and `ready` (or `failed` after the
 * server's `startup_timeout_sec`) later. A turn started in between is sent to the model without
 * that server's tools, so a model call to one is answered `unsupported call: …`.
 */
import type { Clock } from '../clock.js';
import type { McpServerStartupState } from './protocol.js';
import type { RpcClient } from './rpc-client.js';

/** How one awaited server ended up: its last state (`starting` when the wait timed out). */
export interface McpStartupOutcome {
  name: string;
  status: McpServerStartupState;
  error: string | null;
}

export interface McpStartupWatch {
  /**
   * Resolves when every watched server of `threadId` reported `ready`, `failed` or `cancelled`,
   * or after `timeoutMs` (ms) with the servers still starting. Never rejects.
   */
  settled(threadId: string, timeoutMs: number): Promise<McpStartupOutcome[]>;
  /** Stops listening. Idempotent. */
  dispose(): void;
}

const TERMINAL: ReadonlySet<McpServerStartupState> = new Set(['ready', 'failed', 'cancelled']);

/**
 * Starts recording startup states of the servers `names` on `rpc`. Call it before opening the
 * thread: the `starting` notification can precede the thread's id.
 */
export function watchMcpStartup(rpc: RpcClient, names: readonly string[], clock: Clock): McpStartupWatch {
  const states = new Map<string, McpStartupOutcome>();
  const key = (threadId: string, name: string): string => `${threadId}\u0000${name}`;
  let wake: (() => void) | null = null;
  const unsubscribe = rpc.onNotification((n) => {
    if (n.method !== 'mcpServer/startupStatus/updated') return;
    const { threadId, name, status, error } = n.params;
    if (threadId === null || !names.includes(name)) return;
    states.set(key(threadId, name), { name, status, error });
    wake?.();
  });
  const outcomes = (threadId: string): McpStartupOutcome[] => names.map((name) => states.get(key(threadId, name)) ?? { name, status: 'starting', error: null });
  return {
    async settled(threadId, timeoutMs) {
      const done = (): boolean => outcomes(threadId).every((o) => TERMINAL.has(o.status));
      if (!done()) {
        await new Promise<void>((resolve) => {
          let finished = false;
          let unClose = (): void => undefined;
          const finish = (): void => {
            if (finished) return;
            finished = true;
            timer.cancel();
            unClose();
            wake = null;
            resolve();
          };
          const timer = clock.setTimeout(finish, timeoutMs);
          wake = () => {
            if (done()) finish();
          };
          unClose = rpc.onClose(finish);
        });
      }
      return outcomes(threadId);
    },
    dispose: unsubscribe,
  };
}
