/**
 * Switchboard's teammate tools as an MCP server for one caller: `teammate_spawn`,
 * `teammate_send`, `teammate_status`, `teammate_close`. Each call runs the teammate operation
 * (`src/teammates/calls.ts`) as `caller` — the identity the caller's token names, never one the
 * model passes — and answers its JSON as one text item; refusals and errors have `isError: true`
 * (the same `{error, message}` bodies the admin socket answers).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import { TEAMMATE_NAME_RULE } from '../teammates/api.js';
import { teammateCall, type TeammateCallName, type TeammateOps } from '../teammates/calls.js';
import { SWITCHBOARD_VERSION } from '../version.js';
import { MCP_SERVER_NAME } from './registration.js';
import type { ToolCaller } from './tokens.js';

function text(body: unknown, isError = false): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(body) }], ...(isError ? { isError: true } : {}) };
}

/** A fresh MCP server (not yet connected) whose tools act as `caller`. */
export function teammateToolServer(caller: ToolCaller, ops: TeammateOps): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version: SWITCHBOARD_VERSION });
  const name = z.string().describe(`Teammate name (${TEAMMATE_NAME_RULE}).`);
  const call = async (op: TeammateCallName, args: object): Promise<CallToolResult> => {
    try {
      const answer = await teammateCall(ops, op, { ...args, caller });
      return text(answer.body, answer.status >= 300);
    } catch (err) {
      return text({ error: 'internal', message: errorMessage(err) }, true);
    }
  };

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
    (args) => call('spawn', args),
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
    (args) => call('send', args),
  );

  server.registerTool(
    'teammate_status',
    {
      title: 'Teammate status',
      description: 'List your teammates (or one, by name): status, queued tasks, running turn age, last completion id.',
      inputSchema: { name: name.optional() },
      annotations: { readOnlyHint: true },
    },
    (args) => call('status', args),
  );

  server.registerTool(
    'teammate_close',
    {
      title: 'Close a teammate',
      description: 'Stop a teammate and its runtime for good. A task it is still working on is cut off and reported as interrupted.',
      inputSchema: { name },
      annotations: { destructiveHint: true },
    },
    (args) => call('close', args),
  );

  return server;
}
