#!/usr/bin/env node
/**
 * Switchboard's MCP server for its own codex runtimes (stdio transport).
 *
 * codex app-server starts it (registered with `-c mcp_servers.switchboard.*`,
 * see `registration.ts`) as
 * `node dist/mcp/server.js --socket <admin socket> --role dispatcher|teammate --caller <id> [--session <key>]`
 * (`--session`: the dispatcher session whose thread started it; see ../mcp/registration.ts).
 * Each tool call is forwarded to the running service over the admin socket
 * together with the caller identity from the command line; the service decides
 * what the caller may do (a teammate asking to spawn is refused there). Tool
 * results are short JSON texts; refusals and errors have `isError: true`.
 *
 * It exits when its stdin ends or closes (codex stopped it, or codex died) and when its parent
 * changes (codex died while something else still holds the pipe), so it never outlives codex.
 */
import { parseArgs } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AdminApiError, adminRequest, ServiceNotRunningError } from '../admin/client.js';
import { TEAMMATE_NAME_RULE, type Caller } from '../teammates/api.js';
import { MCP_SERVER_NAME } from './registration.js';
import { SWITCHBOARD_VERSION } from '../version.js';
import { errorMessage } from '../errors.js';

/** Spawning waits for the teammate's first start (bounded by codex.startTimeoutMs on the service side). */
const ADMIN_TIMEOUT_MS = 120_000;

/** How often the server checks that codex, its parent, still lives, ms. */
const PARENT_POLL_MS = 1000;

interface Options {
  socket: string;
  caller: Caller;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: { socket: { type: 'string' }, role: { type: 'string' }, caller: { type: 'string' }, session: { type: 'string' } },
    strict: true,
  });
  const { socket, role, caller, session } = values;
  if (!socket || !caller || (role !== 'dispatcher' && role !== 'teammate') || (session !== undefined && role !== 'dispatcher')) {
    throw new Error(
      'usage: server.js --socket <admin socket> --role dispatcher|teammate --caller <dispatcher id | teammate name> [--session <key> (dispatcher)]',
    );
  }
  if (role === 'teammate') return { socket, caller: { role, id: caller } };
  return { socket, caller: session ? { role, id: caller, session } : { role, id: caller } };
}

function text(body: unknown, isError = false): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(body) }], ...(isError ? { isError: true } : {}) };
}

/** Forwards one call; answers errors as tool errors the model can read. */
async function forward(opts: Options, method: 'GET' | 'POST', route: string, body: unknown): Promise<CallToolResult> {
  try {
    return text(await adminRequest<unknown>(opts.socket, method, route, { body, timeoutMs: ADMIN_TIMEOUT_MS }));
  } catch (err) {
    if (err instanceof AdminApiError) return text(err.body, true);
    if (err instanceof ServiceNotRunningError) return text({ error: 'unavailable', message: 'the Switchboard service is not running' }, true);
    return text({ error: 'internal', message: errorMessage(err) }, true);
  }
}

function createSwitchboardMcpServer(opts: Options): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version: SWITCHBOARD_VERSION });
  const name = z.string().describe(`Teammate name (${TEAMMATE_NAME_RULE}).`);
  const caller = opts.caller;

  server.registerTool(
    'teammate_spawn',
    {
      title: 'Spawn a teammate',
      description:
        'Start a teammate: a separate Codex agent with its own workspace that works on `task` in the background. ' +
        'Returns at once. When the task is done, its result arrives in your thread as a <teammate_completion> message and ' +
        'you get a turn to act on it; your answer then goes to the conversation you are in now. Only dispatchers can spawn.',
      inputSchema: {
        name,
        task: z.string().describe('What the teammate should do; self-contained, it does not see this conversation.'),
        cwd: z.string().optional().describe('Working directory inside your own working directory (default .switchboard/teammates/<name>).'),
      },
    },
    (args) => forward(opts, 'POST', '/teammates/spawn', { caller, ...args }),
  );

  server.registerTool(
    'teammate_send',
    {
      title: 'Send a teammate more work',
      description:
        "Give an existing teammate another task or follow-up message. It runs after the teammate's current task; " +
        'the result comes back as a <teammate_completion> like the first one.',
      inputSchema: { name, text: z.string().describe('The task or message for the teammate.') },
    },
    (args) => forward(opts, 'POST', '/teammates/send', { caller, ...args }),
  );

  server.registerTool(
    'teammate_status',
    {
      title: 'Teammate status',
      description: 'List your teammates (or one, by name): status, queued tasks, running turn age, last completion id.',
      inputSchema: { name: name.optional() },
      annotations: { readOnlyHint: true },
    },
    (args) => forward(opts, 'POST', '/teammates/status', { caller, ...args }),
  );

  server.registerTool(
    'teammate_close',
    {
      title: 'Close a teammate',
      description: 'Stop a teammate and its runtime for good. A task it is still working on is cut off and reported as interrupted.',
      inputSchema: { name },
      annotations: { destructiveHint: true },
    },
    (args) => forward(opts, 'POST', '/teammates/close', { caller, ...args }),
  );

  return server;
}

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`switchboard mcp: ${errorMessage(err)}\n`);
    process.exit(2);
  }
  const server = createSwitchboardMcpServer(opts);
  const transport = new StdioServerTransport();
  transport.onclose = () => process.exit(0);
  const quit = (): void => void server.close().finally(() => process.exit(0));
  await server.connect(transport);
  // codex closes our stdin when it stops the server, and the kernel does when codex dies.
  process.stdin.on('end', quit);
  process.stdin.on('close', quit);
  // In case another process holds our stdin open: a parent that died re-parents us (the ppid
  // changes, to pid 1 or a subreaper); codex, our parent, is never pid 1.
  const parent = process.ppid;
  const orphaned = (): boolean => process.ppid !== parent || process.ppid === 1;
  if (orphaned()) quit();
  setInterval(() => {
    if (orphaned()) quit();
  }, PARENT_POLL_MS).unref();
}

await main();
