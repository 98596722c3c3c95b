/**
 * Registering Switchboard's MCP server on a codex app-server: `-c` overrides
 * `mcp_servers.switchboard.{command,args,startup_timeout_sec,tool_timeout_sec,default_tools_approval_mode}`
 * (values are TOML literals), so codex starts `node <server.js> --socket …
 * --role … --caller …` for each runtime.
 *
 * Measured with codex 0.169: the model is offered the tools as a Responses-API
 * `namespace` tool named `mcp__switchboard` holding functions `teammate_spawn`, …;
 * the model calls them as `function_call {namespace: "mcp__switchboard", name:
 * "teammate_spawn"}`, and the result comes back as `function_call_output` whose
 * output is `[{input_text "Wall time: … Output:"}, {input_text <our JSON text>}]`.
 * Without `default_tools_approval_mode = "approve"` every call is answered
 * "MCP tool call requires approval, but approval policy is never": the tools are
 * Switchboard's own and gated on the service side, so they are pre-approved.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeRole } from '../config/schema.js';
import { PACKAGE_ROOT } from '../skills/roots.js';

/** Server name in codex's config; the model sees the tools in namespace `mcp__switchboard`. */
export const MCP_SERVER_NAME = 'switchboard';

/** The tool namespace codex offers the model (`mcp__<server>`). */
export const MCP_TOOL_NAMESPACE = `mcp__${MCP_SERVER_NAME}`;

/** Seconds codex waits for a tool call; a spawn waits for the teammate's first start. */
const TOOL_TIMEOUT_SEC = 180;
const STARTUP_TIMEOUT_SEC = 30;

/** The built MCP server entry point is missing. */
export class McpServerMissingError extends Error {
  constructor(readonly file: string) {
    super(`Switchboard's MCP server is missing at ${file}; build it with \`npm run build\` (teammate tools need it)`);
    this.name = 'McpServerMissingError';
  }
}

/**
 * Absolute path of the MCP server script to run with `process.execPath`:
 * next to this module when running from `dist/` (`dist/mcp/server.js`);
 * `<package>/dist/mcp/server.js` when running from `src/` (vitest, tsx), which
 * `npm test` builds first.
 * @throws McpServerMissingError when the file does not exist.
 */
export function mcpServerScript(moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(moduleUrl);
  const file = here.endsWith('.js') ? path.join(path.dirname(here), 'server.js') : path.join(PACKAGE_ROOT, 'dist', 'mcp', 'server.js');
  if (!existsSync(file)) throw new McpServerMissingError(file);
  return file;
}

export interface McpRegistration {
  /** Absolute path of the server script. */
  script: string;
  /** Absolute path of the service's admin socket. */
  adminSocket: string;
  /** Node executable; default `process.execPath`. */
  node?: string;
}

/** TOML basic string (JSON string escapes are valid TOML). */
function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** The server's command-line arguments for `role`/`caller` (and the dispatcher session it serves). */
function serverArgs(reg: McpRegistration, role: RuntimeRole, caller: string, session?: string): string[] {
  const args = [reg.script, '--socket', path.resolve(reg.adminSocket), '--role', role, '--caller', caller];
  return session === undefined ? args : [...args, '--session', session];
}

/** `-c` overrides that register the server for one runtime, identified as `role`/`caller`. */
export function switchboardMcpOverrides(reg: McpRegistration, role: RuntimeRole, caller: string): Record<string, string> {
  const key = `mcp_servers.${MCP_SERVER_NAME}`;
  const args = serverArgs(reg, role, caller);
  return {
    [`${key}.command`]: tomlString(reg.node ?? process.execPath),
    [`${key}.args`]: `[${args.map(tomlString).join(', ')}]`,
    [`${key}.startup_timeout_sec`]: String(STARTUP_TIMEOUT_SEC),
    [`${key}.tool_timeout_sec`]: String(TOOL_TIMEOUT_SEC),
    [`${key}.default_tools_approval_mode`]: tomlString('approve'),
  };
}

/**
 * Thread config (codex app-server v2 `thread/start` / `thread/resume` `config`) that gives a
 * dispatcher session's thread its own server arguments with `--session <key>`, so a tool call
 * (e.g. `teammate_spawn`) names the session whose turn made it. Codex starts MCP servers per
 * thread, and a thread's `config` overrides the runtime's `-c` args (observed with codex 0.171).
 */
export function switchboardMcpSessionConfig(reg: McpRegistration, dispatcherId: string, session: string): Record<string, unknown> {
  return { [`mcp_servers.${MCP_SERVER_NAME}.args`]: serverArgs(reg, 'dispatcher', dispatcherId, session) };
}
