/**
 * The teammate tools' MCP endpoint, served by the service itself: MCP streamable HTTP
 * (`@modelcontextprotocol/sdk` StreamableHTTPServerTransport, stateless, JSON answers) on a
 * loopback listener, so codex runtimes reach the tools without a server process of their own.
 * Codex (0.171) is told about it with `mcp_servers.switchboard.url` and sends each thread's token
 * as `Authorization: Bearer <token>` (./registration.ts).
 *
 * - `POST /mcp` with a valid token (./tokens.ts): one JSON-RPC message or batch, answered by a
 *   fresh MCP server whose tools act as the token's caller (./tools.ts); the SDK answers protocol
 *   errors (e.g. 406 without `Accept: application/json, text/event-stream`).
 * - missing or unknown token → 401 (`WWW-Authenticate: Bearer`), before the body is read;
 *   `GET`/`DELETE /mcp` → 405 (stateless: no server-sent stream, no sessions); other paths → 404;
 *   a body over 1 MiB → 413, not JSON → 400; teammates not ready yet → 503.
 * Error bodies are JSON-RPC errors `{jsonrpc: "2.0", error: {code, message}, id: null}`.
 * Tokens never reach a log line.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { readBodyText, sendJson } from '../http/json.js';
import type { Logger } from '../log.js';
import type { TeammateOps } from '../teammates/calls.js';
import type { McpCallerTokens, ToolCaller } from './tokens.js';
import { teammateToolServer } from './tools.js';

/** The endpoint's path. */
export const MCP_PATH = '/mcp';

const BODY_LIMIT = 1024 * 1024;

/**
 * How long an idle keep-alive connection stays open, ms. Longer than the client's own pool idle
 * timeout (reqwest, which codex's MCP client uses: 90 s), so the client is the one to close an idle
 * connection and never sends a tool call on one the server is closing at that moment.
 */
const KEEP_ALIVE_MS = 120_000;

export interface McpHttpServer {
  /** e.g. `http://127.0.0.1:41234/mcp`. */
  readonly url: string;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

export interface McpHttpServerDeps {
  tokens: McpCallerTokens;
  /** The teammate operations; null until the service made them (answered 503). */
  teammates: () => TeammateOps | null;
  logger: Logger;
  /** Listen address, default `127.0.0.1` (port: a free one). */
  host?: string;
}

function rpcError(res: http.ServerResponse, status: number, code: number, message: string, headers?: Record<string, string>): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

/** The caller named by the request's bearer token, or null. */
function callerOf(req: http.IncomingMessage, tokens: McpCallerTokens): ToolCaller | null {
  const m = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1] ? tokens.callerOf(m[1]) : null;
}

/**
 * Listens on `host` at a free port.
 * @throws Error when it cannot listen.
 */
export async function startMcpHttpServer(deps: McpHttpServerDeps): Promise<McpHttpServer> {
  const log = deps.logger;
  const server = http.createServer((req, res) => {
    void handle(req, res, deps).catch((err: unknown) => {
      log.error({ err }, 'MCP request failed');
      rpcError(res, 500, -32603, 'internal error');
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, deps.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}${MCP_PATH}`,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, deps: McpHttpServerDeps): Promise<void> {
  const pathname = new URL(req.url ?? '/', 'http://mcp').pathname;
  if (pathname !== MCP_PATH) return rpcError(res, 404, -32601, `no MCP endpoint at ${pathname}; it is ${MCP_PATH}`);
  const caller = callerOf(req, deps.tokens);
  if (caller === null) {
    deps.logger.warn(
      { remote: req.socket.remoteAddress, method: req.method, hasToken: req.headers.authorization !== undefined },
      'MCP request without a valid token refused',
    );
    return rpcError(res, 401, -32001, 'unauthorized: a valid Switchboard caller token is required', { 'www-authenticate': 'Bearer' });
  }
  if (req.method !== 'POST') return rpcError(res, 405, -32000, `${MCP_PATH} takes POST (stateless: no event stream, no sessions)`, { allow: 'POST' });
  const ops = deps.teammates();
  if (ops === null) return rpcError(res, 503, -32000, 'the Switchboard service is starting; try again');
  const raw = await readBodyText(req, BODY_LIMIT);
  if (raw === null) return rpcError(res, 413, -32600, `request body exceeds ${BODY_LIMIT} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return rpcError(res, 400, -32700, 'parse error: the body is not JSON');
  }
  const mcp = teammateToolServer(caller, ops);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void mcp.close();
  });
  await mcp.connect(transport);
  await transport.handleRequest(req, res, body);
}
