/**
 * Builds `CodexRuntimeOptions` from the service config for one runtime, so
 * dispatchers and teammates get the same codex settings (binary, environment, CODEX_HOME,
 * `-c` overrides plus Switchboard's MCP endpoint, the thread config carrying the runtime's caller
 * token, timeouts, backoff, sandbox, approval policy, role-gated skill roots).
 */
import type { Clock } from '../clock.js';
import type { Config, RuntimeRole } from '../config/schema.js';
import type { Logger } from '../log.js';
import { MCP_SERVER_NAME, switchboardMcpOverrides, switchboardMcpRuntimeConfig, type McpEndpoint } from '../mcp/registration.js';
import { skillRootsFor } from '../skills/roots.js';
import type { CodexLaunch } from './child-env.js';
import type { CodexRuntimeOptions, RuntimeRecordStore } from './runtime.js';

export interface RuntimeSpec {
  /** Dispatcher id or teammate name. */
  id: string;
  role: RuntimeRole;
  cwd: string;
  /** Model for the thread; default `codex.model`. */
  model?: string;
  developerInstructions: string | null;
  record: RuntimeRecordStore;
  /** Absolute path of the app-server's log file. */
  logFile: string;
  /** Overrides `codex.approvalPolicy` / `codex.sandbox` for this runtime's thread. */
  approvalPolicy?: Config['codex']['approvalPolicy'];
  sandbox?: Config['codex']['sandbox'];
}

/**
 * Overrides Switchboard sets unless the operator's `codex.overrides` says otherwise:
 * - `tools.update_plan.enabled` — codex 0.152+ offers the model its `update_plan` tool only when
 *   asked (openai/codex #41744), and chat users see the plan (`turn/plan/updated`) in the live answer;
 * - `features.default_mode_request_user_input` — codex 0.171 offers `request_user_input` but answers
 *   "unavailable in Default mode" unless this is on (measured); Switchboard asks the question in chat;
 * - `thread_unload_delay_secs` — how long codex keeps a thread no client subscribes to (after an idle
 *   session's `thread/unsubscribe`) loaded, with its memory (and the stdio MCP server children of any
 *   operator-configured MCP servers, ≈ 80 MiB each for a Node one, measured on 0.171); codex's own
 *   delay kept 6 unsubscribed session threads for the whole 12 s observed, 30 s frees them soon
 *   after Switchboard's idle unload (`sessions.idleUnloadMs`).
 */
export const HOST_DEFAULT_OVERRIDES: Readonly<Record<string, string>> = {
  'tools.update_plan.enabled': 'true',
  'features.default_mode_request_user_input': 'true',
  thread_unload_delay_secs: '30',
};

export function runtimeOptions(
  config: Config,
  spec: RuntimeSpec,
  deps: { codex: CodexLaunch; mcp: McpEndpoint; logger: Logger; clock: Clock },
): CodexRuntimeOptions {
  const c = config.codex;
  return {
    id: spec.id,
    role: spec.role,
    cwd: spec.cwd,
    bin: deps.codex.bin,
    pathDirs: deps.codex.pathDirs,
    env: deps.codex.env,
    ...(c.home ? { codexHome: c.home } : {}),
    overrides: { ...HOST_DEFAULT_OVERRIDES, ...c.overrides, ...switchboardMcpOverrides(deps.mcp) },
    requestTimeoutMs: c.requestTimeoutMs,
    startTimeoutMs: c.startTimeoutMs,
    backoff: c.restartBackoff,
    thread: {
      sandbox: spec.sandbox ?? c.sandbox,
      approvalPolicy: spec.approvalPolicy ?? c.approvalPolicy,
      model: spec.model ?? c.model ?? null,
      developerInstructions: spec.developerInstructions,
      // The runtime's own thread calls the tools as this runtime; session threads override it (service.ts).
      config: switchboardMcpRuntimeConfig(deps.mcp, spec.role, spec.id),
    },
    skillRoots: skillRootsFor(spec.role, config.skills.roots),
    // The first turn of a dispatcher or teammate must already see the teammate tools.
    awaitMcpServers: [MCP_SERVER_NAME],
    record: spec.record,
    ...(deps.codex.startGate ? { startGate: deps.codex.startGate } : {}),
    logFile: spec.logFile,
    logMaxBytes: config.retention.logMaxBytes,
    niceness: c.niceness,
    logger: deps.logger,
    clock: deps.clock,
    ...(deps.codex.children ? { children: deps.codex.children } : {}),
  };
}
