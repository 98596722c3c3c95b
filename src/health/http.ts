/**
 * `GET /healthz` and `GET /readyz`: served by the web channel, and by a small
 * listener of their own (config `health.listen`) when there is no web channel.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseListenAddress, urlOf } from '../channels/listen.js';
import type { Logger } from '../log.js';
import type { ReadinessSource } from './readiness.js';

export type HealthRoute = 'healthz' | 'readyz';

/** The health route of a request path (a trailing slash is ignored); undefined for other paths. */
export function matchHealthRoute(pathname: string): HealthRoute | undefined {
  const p = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  if (p === '/healthz') return 'healthz';
  if (p === '/readyz') return 'readyz';
  return undefined;
}

/**
 * Answers a health route: /healthz 200 `{"status":"ok"}` while the process is up;
 * /readyz 200 `{"status":"ready",…,"storage":{writable,error}}` when ready, else 503 `{"status":"not_ready",…}`; while the
 * state cannot be written the 503 body also has `reason: "degraded: state not writable (<error>)"`.
 */
export function serveHealth(res: ServerResponse, route: HealthRoute, readiness: ReadinessSource | undefined): void {
  let status: number;
  let body: unknown;
  if (route === 'healthz') {
    status = 200;
    body = { status: 'ok' };
  } else if (!readiness) {
    status = 503;
    body = { status: 'not_ready', dispatchers: [], channels: [], error: 'no readiness source' };
  } else {
    const r = readiness();
    status = r.ready ? 200 : 503;
    body = {
      status: r.ready ? 'ready' : 'not_ready',
      ...(r.storage.writable ? {} : { reason: `degraded: state not writable (${r.storage.error ?? 'unknown error'})` }),
      dispatchers: r.dispatchers,
      channels: r.channels,
      storage: r.storage,
    };
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

export interface HealthServer {
  /** The bound port (the real one when `listen` had port 0). */
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts the stand-alone health listener on `listen` (`host:port`).
 * @throws Error naming `health.listen` when it cannot listen.
 */
export async function startHealthServer(listen: string, readiness: ReadinessSource, logger: Logger): Promise<HealthServer> {
  const addr = parseListenAddress(listen);
  const server = createServer((req, res) => {
    const route = matchHealthRoute(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'not_found', message: 'this listener serves only GET /healthz and GET /readyz' }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'method_not_allowed', message: `${req.method ?? ''} is not allowed` }));
      return;
    }
    serveHealth(res, route, readiness);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new Error(`health listener cannot listen on ${listen}: ${err.code ?? err.message}; set another address in health.listen of the config`, { cause: err }),
      );
    };
    server.once('error', onError);
    server.listen(addr.port, addr.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'health listener error'));
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  logger.info({ listen, port }, 'health listener started');
  return {
    port,
    url: urlOf(addr.host, port),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
