/**
 * Registering Switchboard's MCP endpoint (the teammate tools, served by the service itself over
 * streamable HTTP: ./http-server.ts) on a codex app-server:
 * - `-c` overrides `mcp_servers.switchboard.{url,startup_timeout_sec,tool_timeout_sec,
 *   default_tools_approval_mode}` (TOML literals) on the command line — no identity there;
 * - per thread, `thread/start` / `thread/resume` `config` `mcp_servers.switchboard.http_headers =
 *   {Authorization = "Bearer <token>"}`: the caller token (./tokens.ts) of the runtime, or of the
 *   dispatcher session the thread serves. Codex connects each thread's MCP servers with that
 *   thread's config (observed with codex 0.171), so a tool call carries its thread's identity, and
 *   the token travels over the app-server socket, never in a command line or an environment.
 *
 * Measured with codex 0.169/0.171: the model is offered the tools as a Responses-API `namespace`
 * tool named `mcp__switchboard` holding functions `teammate_spawn`, …; the model calls them as
 * `function_call {namespace: "mcp__switchboard", name: "teammate_spawn"}`, and the result comes
 * back as `function_call_output` whose output is `[{input_text "Wall time: … Output:"},
 * {input_text <our JSON text>}]`. Without `default_tools_approval_mode = "approve"` every call is
 * answered "MCP tool call requires approval, but approval policy is never": the tools are
 * Switchboard's own and gated on the service side, so they are pre-approved. Codex 0.171 reports
 * `mcpServer/startupStatus/updated` for an HTTP server as for a stdio one (`ready` once
 * `initialize` and `tools/list` answered), so the runtime's startup wait holds.
 */
import type { RuntimeRole } from '../config/schema.js';
import type { McpCallerTokens, ToolCaller } from './tokens.js';

/** Server name in codex's config; the model sees the tools in namespace `mcp__switchboard`. */
export const MCP_SERVER_NAME = 'switchboard';

/** The tool namespace codex offers the model (`mcp__<server>`). */
export const MCP_TOOL_NAMESPACE = `mcp__${MCP_SERVER_NAME}`;

/** Seconds codex waits for a tool call; a spawn waits for the teammate's first start. */
const TOOL_TIMEOUT_SEC = 180;
const STARTUP_TIMEOUT_SEC = 30;

/** Where the service serves the tools, and the tokens it accepts. */
export interface McpEndpoint {
  /** e.g. `http://127.0.0.1:41234/mcp`. */
  url: string;
  tokens: McpCallerTokens;
}

/** TOML basic string (JSON string escapes are valid TOML). */
function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** `-c` overrides that register the endpoint on an app-server (the same for every runtime). */
export function switchboardMcpOverrides(endpoint: McpEndpoint): Record<string, string> {
  const key = `mcp_servers.${MCP_SERVER_NAME}`;
  return {
    [`${key}.url`]: tomlString(endpoint.url),
    [`${key}.startup_timeout_sec`]: String(STARTUP_TIMEOUT_SEC),
    [`${key}.tool_timeout_sec`]: String(TOOL_TIMEOUT_SEC),
    [`${key}.default_tools_approval_mode`]: tomlString('approve'),
  };
}

/** Thread config (codex app-server v2 `thread/start` / `thread/resume` `config`) whose tool calls act as `caller`. */
export function switchboardMcpThreadConfig(endpoint: McpEndpoint, caller: ToolCaller): Record<string, unknown> {
  return { [`mcp_servers.${MCP_SERVER_NAME}.http_headers`]: { Authorization: `Bearer ${endpoint.tokens.tokenFor(caller)}` } };
}

/** Thread config of a runtime's own thread (role `role`, id `id`). */
export function switchboardMcpRuntimeConfig(endpoint: McpEndpoint, role: RuntimeRole, id: string): Record<string, unknown> {
  return switchboardMcpThreadConfig(endpoint, { role, id });
}

/** Thread config of dispatcher session `session`'s thread, so a tool call (e.g. `teammate_spawn`) names the session whose turn made it. */
export function switchboardMcpSessionConfig(endpoint: McpEndpoint, dispatcherId: string, session: string): Record<string, unknown> {
  return switchboardMcpThreadConfig(endpoint, { role: 'dispatcher', id: dispatcherId, session });
}
