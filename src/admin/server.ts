/**
 * Admin API on a unix socket (mode 0600): HTTP/1.1 with JSON bodies.
 *
 * - `GET /status` → ServiceStatus
 * - `POST /dispatchers/:id/interrupt` → `{interrupted: boolean}`
 * - `POST /completions` → see `completion-route.ts`
 * - `GET /teammates`, `POST /teammates/{spawn,send,status,close}` → see `teammate-routes.ts`
 * - `GET /approvals` → `{approvals: PendingApproval[]}`; `POST /approvals/<id>/approve|decline` →
 *   200 `{status:'done', text}`, 404 unknown or settled id, 409 when the request has no such answer
 *
 * A stale socket file from a crashed service is replaced; a live one means
 * another service owns this state dir, and startup fails.
 */
import { sendError, sendJson } from '../http/json.js';
import http from 'node:http';
import net from 'node:net';
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { AdminPort } from './port.js';
import { handleCompletion } from './completion-route.js';
import { handleTeammates } from './teammate-routes.js';
import { errorMessage } from '../errors.js';

/** Another live service already listens on the admin socket (it owns this state dir). */
export class ServiceAlreadyRunningError extends Error {
  constructor(readonly socketPath: string) {
    super(`another Switchboard service is already running on ${socketPath}; stop it or use a different stateDir`);
    this.name = 'ServiceAlreadyRunningError';
  }
}

export interface AdminServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

/**
 * Listens on `socketPath`.
 * @throws ServiceAlreadyRunningError when another live service listens there.
 */
export async function createAdminServer(socketPath: string, deps: { service: AdminPort; logger: Logger }): Promise<AdminServer> {
  await mkdir(path.dirname(socketPath), { recursive: true });
  if (await isLive(socketPath)) {
    throw new ServiceAlreadyRunningError(socketPath);
  }
  await rm(socketPath, { force: true });
  const server = http.createServer((req, res) => {
    void handle(req, res, deps).catch((err: unknown) => {
      deps.logger.error({ err }, 'admin request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal', message: errorMessage(err) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Restrictive umask window is not portable; chmod right after listen instead.
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o600);
  let closed: Promise<void> | null = null;
  return {
    socketPath,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => rm(socketPath, { force: true }))),
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, deps: { service: AdminPort }): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  if (url.pathname === '/status') {
    if (req.method !== 'GET') return sendError(res, 405, 'method_not_allowed', '/status takes GET');
    return sendJson(res, 200, deps.service.status());
  }
  if (url.pathname === '/completions') {
    if (req.method !== 'POST') return sendError(res, 405, 'method_not_allowed', '/completions takes POST');
    return handleCompletion(req, (status, body) => sendJson(res, status, body), deps.service);
  }
  if (await handleTeammates(req, url.pathname, (status, body) => sendJson(res, status, body), deps.service)) return;
  if (url.pathname === '/approvals') {
    if (req.method !== 'GET') return sendError(res, 405, 'method_not_allowed', '/approvals takes GET');
    return sendJson(res, 200, { approvals: deps.service.status().approvals });
  }
  const a = /^\/approvals\/([^/]+)\/(approve|decline)$/.exec(url.pathname);
  if (a?.[1] && a[2]) {
    if (req.method !== 'POST') return sendError(res, 405, 'method_not_allowed', `${url.pathname} takes POST`);
    const result = await deps.service.decideApproval(decodeURIComponent(a[1]), a[2] as 'approve' | 'decline');
    if (result.status === 'not_found') return sendError(res, 404, 'not_found', `no pending approval ${a[1]} (see \`switchboard approvals list\`)`);
    if (result.status === 'unsupported') return sendError(res, 409, 'unsupported', result.text);
    return sendJson(res, 200, result);
  }
  const m = /^\/dispatchers\/([^/]+)\/interrupt$/.exec(url.pathname);
  if (m?.[1]) {
    if (req.method !== 'POST') return sendError(res, 405, 'method_not_allowed', `${url.pathname} takes POST`);
    const interrupted = await deps.service.interrupt(decodeURIComponent(m[1]));
    if (interrupted === null) return sendError(res, 404, 'unknown_dispatcher', `no dispatcher "${m[1]}"`);
    return sendJson(res, 200, { interrupted });
  }
  sendError(res, 404, 'not_found', `no admin route ${req.method} ${url.pathname}`);
}

/** True when a service accepts connections on `socketPath` (a refused or missing socket is false). */
export function isLive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
