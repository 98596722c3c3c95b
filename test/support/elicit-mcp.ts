/**
 * A tiny MCP server for tests whose tools ask the client for input (MCP `elicitation/create`),
 * served over MCP streamable HTTP (`@modelcontextprotocol/sdk`, stateful: one transport per
 * `mcp-session-id`, SSE answers, so a tool call's stream can carry the server's request) on
 * 127.0.0.1. Codex, registered with `mcp_servers.<name>.url`, forwards the request to its client
 * as `mcpServer/elicitation/request` and sends the client's answer back as the `ElicitResult`.
 *
 * Tools (no arguments):
 * - `choose_colour`: a form of one enum field `colour` (`red` | `green` | `blue`);
 * - `name_release`: a form of one string field `name`.
 * Each answers `elicitation <action> <JSON content>`, so the model (the scripted one) sees what
 * the user answered. The server keeps what the client advertised at `initialize` and every result.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { type ClientCapabilities, type ElicitRequestFormParams, type ElicitResult, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

export interface ElicitMcpServer {
  /** e.g. `http://127.0.0.1:PORT/mcp`. */
  url: string;
  /** The capabilities each `initialize` advertised, in order. */
  clientCapabilities: (ClientCapabilities | undefined)[];
  /** Every elicitation answer the server got, in order (a failed request: `{error}`). */
  results: (ElicitResult | { error: string })[];
  close(): Promise<void>;
}

/** The forms the tools ask for (MCP `ElicitRequestFormParams`). */
export const ELICIT_FORMS = {
  choose_colour: {
    mode: 'form',
    message: 'Which colour should the build badge be?',
    requestedSchema: {
      type: 'object',
      properties: { colour: { type: 'string', title: 'Colour', enum: ['red', 'green', 'blue'] } },
      required: ['colour'],
    },
  },
  name_release: {
    mode: 'form',
    message: 'What should the release be called?',
    requestedSchema: { type: 'object', properties: { name: { type: 'string', title: 'release name' } }, required: ['name'] },
  },
} satisfies Record<string, ElicitRequestFormParams>;

/** Starts the server on 127.0.0.1 (a free port). */
export async function startElicitMcpServer(): Promise<ElicitMcpServer> {
  const clientCapabilities: ElicitMcpServer['clientCapabilities'] = [];
  const results: ElicitMcpServer['results'] = [];
  const transports = new Map<string, StreamableHTTPServerTransport>();

  const toolServer = (): McpServer => {
    const mcp = new McpServer({ name: 'asker', version: '0' }, { capabilities: { tools: {} } });
    for (const [tool, form] of Object.entries(ELICIT_FORMS)) {
      mcp.registerTool(tool, { description: `Asks the user: ${form.message}` }, async (extra) => {
        let result: ElicitResult;
        try {
          result = await mcp.server.elicitInput(form, { relatedRequestId: extra.requestId });
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          results.push({ error });
          return { content: [{ type: 'text', text: `elicitation failed: ${error}` }], isError: true };
        }
        results.push(result);
        return { content: [{ type: 'text', text: `elicitation ${result.action} ${JSON.stringify(result.content ?? null)}` }] };
      });
    }
    mcp.server.oninitialized = () => clientCapabilities.push(mcp.server.getClientCapabilities());
    return mcp;
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      let body: unknown;
      if (req.method === 'POST') {
        let raw = '';
        for await (const chunk of req) raw += String(chunk);
        body = JSON.parse(raw);
      }
      const sid = req.headers['mcp-session-id'];
      let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
      if (!transport) {
        if (req.method !== 'POST' || !isInitializeRequest(body)) {
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'no session' }, id: null }));
          return;
        }
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => void transports.set(id, created),
        });
        created.onclose = () => {
          if (created.sessionId) transports.delete(created.sessionId);
        };
        await toolServer().connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res, body);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    clientCapabilities,
    results,
    async close() {
      await Promise.all([...transports.values()].map((t) => t.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
