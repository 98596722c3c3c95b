/**
 * The web chat's access gate when it has an access token (see ../inbound/auth.ts): a small login
 * form (`GET /login`, `POST /login` with `token=…`), the one-click link `/?token=…` that the demo
 * prints, and refusal of every other unauthenticated request — the page is redirected to the form
 * (303), the API answers 401 JSON with `WWW-Authenticate: Bearer`. Health endpoints are not gated.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBodyText, sendError } from '../../../http/json.js';
import type { Logger } from '../../../log.js';
import type { WebAuth } from '../inbound/auth.js';
import { isAllowedOrigin } from '../inbound/guard.js';

const STYLE =
  'body{font:15px system-ui,sans-serif;background:#f4f5f8;display:flex;min-height:100vh;margin:0;align-items:center;justify-content:center}' +
  'form{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:24px;width:min(360px,90vw)}' +
  'h1{font-size:18px;margin:0 0 12px}label{display:block;margin-bottom:6px;color:#41506e}' +
  'input{box-sizing:border-box;width:100%;padding:8px;font:inherit;border:1px solid #c5cad3;border-radius:6px}' +
  'button{margin-top:12px;padding:8px 16px;font:inherit;background:#2f6fdf;color:#fff;border:0;border-radius:6px}' +
  '.error{color:#b42318;margin:0 0 10px}';

const HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // `same-origin`, not `no-referrer`: with no-referrer the form's POST carries `Origin: null`.
  'referrer-policy': 'same-origin',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
};

/** Largest accepted login form body, bytes. */
const MAX_LOGIN_BYTES = 4096;

function loginPage(error: string | null): string {
  const note = error ? `<p class="error" data-testid="login-error">${error}</p>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Switchboard · sign in</title><style>${STYLE}</style></head><body><form method="post" action="/login"><h1>Switchboard</h1>${note}<label for="token">Access token</label><input id="token" name="token" type="password" autocomplete="current-password" required autofocus><button type="submit">Sign in</button></form></body></html>`;
}

function sendLogin(res: ServerResponse, status: number, error: string | null): void {
  const html = loginPage(error);
  res.writeHead(status, { ...HEADERS, 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', 'content-length': 0, ...headers });
  res.end();
}

/**
 * Lets an authenticated request through (returns false), or answers it (returns true): the login
 * routes, the `/?token=` link, a redirect of the page to the form, or 401 for the API.
 */
export async function answerUnauthenticated(auth: WebAuth, req: IncomingMessage, res: ServerResponse, url: URL, logger: Logger): Promise<boolean> {
  const method = req.method ?? 'GET';
  const path = url.pathname;
  if (path === '/login') {
    if (method === 'GET' || method === 'HEAD') {
      sendLogin(res, 200, null);
      return true;
    }
    if (method !== 'POST') {
      sendError(res, 405, 'method_not_allowed', `${method} is not allowed on /login`, { allow: 'GET, POST' });
      return true;
    }
    if (!isAllowedOrigin(req.headers.origin, req.headers.host)) {
      sendError(res, 403, 'forbidden_origin', 'cross-origin requests are not accepted');
      return true;
    }
    const body = await readBodyText(req, MAX_LOGIN_BYTES);
    const token = body === null ? null : new URLSearchParams(body).get('token');
    if (token !== null && auth.matches(token)) {
      redirect(res, '/', { 'set-cookie': auth.sessionCookie(req) });
      return true;
    }
    logger.warn({ remote: req.socket.remoteAddress }, 'web chat sign-in refused: wrong access token');
    sendLogin(res, 401, 'That is not the access token.');
    return true;
  }
  if (auth.allows(req)) return false;
  const page = path === '/' || path === '/index.html';
  if (page && method === 'GET') {
    const token = url.searchParams.get('token');
    if (token === null) redirect(res, '/login');
    else if (auth.matches(token)) redirect(res, '/', { 'set-cookie': auth.sessionCookie(req) });
    else sendLogin(res, 401, 'The link’s access token is not this server’s.');
    return true;
  }
  sendError(res, 401, 'unauthorized', 'this web chat needs its access token: Authorization: Bearer <token>, or sign in at /login', {
    'www-authenticate': 'Bearer realm="switchboard"',
  });
  return true;
}
