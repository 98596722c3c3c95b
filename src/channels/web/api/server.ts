/**
 * The web chat HTTP server: listening, routing, and shutdown.
 */
import type { ListenAddress } from '../../listen.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAllowedHost } from '../inbound/guard.js';
import { sendError } from '../../../http/json.js';
import { handleEvents, handleListConversations, handleListMessages, handlePage, handlePostMessage, handleSession, type ApiContext } from './handlers.js';
import { handlePostAction, type ActionRouteContext } from './actions.js';
import { matchRoute } from './router.js';
import { answerUnauthenticated } from './login.js';
import { matchHealthRoute, serveHealth } from '../../../health/http.js';

/** Explains a listen failure, pointing at the config field to change. */
export function describeListenError(err: NodeJS.ErrnoException, channelId: string, listen: string): Error {
  const where = `web channel "${channelId}" cannot listen on ${listen}`;
  const hint = 'set another address in channels[].listen of the config';
  let text: string;
  switch (err.code) {
    case 'EADDRINUSE':
      text = `${where}: address already in use (another process holds the port); ${hint} or stop the other process`;
      break;
    case 'EACCES':
      text = `${where}: permission denied; ${hint} (ports below 1024 need privileges)`;
      break;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      text = `${where}: host is not an address of this machine; ${hint}`;
      break;
    default:
      text = `${where}: ${err.message}`;
  }
  return new Error(text, { cause: err });
}

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting and drops open connections. */
  close(): Promise<void>;
}

/** Creates the server and listens; rejects with a described error when listening fails. */
export async function startWebServer(
  ctx: ApiContext & ActionRouteContext,
  listen: ListenAddress,
  describe: (err: NodeJS.ErrnoException) => Error,
): Promise<RunningServer> {
  const server = createServer((req, res) => {
    route(ctx, listen, req, res).catch((err: unknown) => {
      ctx.logger.error({ err, url: req.url }, 'web request failed');
      if (!res.headersSent) sendError(res, 500, 'internal', 'internal error');
      else res.destroy();
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(describe(err));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(listen.port, listen.host);
  });
  server.on('error', (err) => ctx.logger.error({ err }, 'web server error'));

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function route(ctx: ApiContext & ActionRouteContext, listen: ListenAddress, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isAllowedHost(req.headers.host, listen.host)) {
    return sendError(res, 403, 'forbidden_host', 'this server only answers requests addressed to localhost');
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const health = matchHealthRoute(url.pathname);
  if (health) {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD')
      return sendError(res, 405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`, { allow: 'GET, HEAD' });
    return serveHealth(res, health, ctx.readiness);
  }
  if (ctx.auth && (await answerUnauthenticated(ctx.auth, req, res, url, ctx.logger))) return;
  const match = matchRoute(url.pathname);
  if (!match) return sendError(res, 404, 'not_found', `no route for ${url.pathname}`);
  const method = req.method ?? 'GET';
  if (!match.methods.includes(method)) {
    return sendError(res, 405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`, {
      allow: match.methods.join(', '),
    });
  }
  switch (match.name) {
    case 'page':
      return handlePage(res);
    case 'conversations':
      return handleListConversations(ctx, res);
    case 'events':
      return handleEvents(ctx, req, res, url);
    case 'actions':
      return handlePostAction(ctx, req, res);
    case 'session':
      return handleSession(ctx, res, match.conversation ?? '');
    case 'messages':
      if (method === 'POST') return handlePostMessage(ctx, req, res, match.conversation ?? '');
      return handleListMessages(ctx, res, match.conversation ?? '');
  }
}
