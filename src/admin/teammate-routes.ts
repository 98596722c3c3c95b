/**
 * Teammate routes on the admin socket, for operators (the CLI) and external tools; the agents'
 * own runtimes reach the same operations through the service's MCP endpoint (src/mcp/). Both
 * answer through `src/teammates/calls.ts`.
 *
 * - `GET /teammates[?name=N]` → `{teammates: TeammateStatus[]}` (operator view, closed ones included)
 * - `POST /teammates/spawn {caller, name, task, cwd?}` → 202 SpawnAnswer
 * - `POST /teammates/send {caller, name, text}` → 202 SendAnswer
 * - `POST /teammates/status {caller, name?}` → 200 `{teammates: TeammateStatus[]}`
 * - `POST /teammates/close {caller?, name}` → 200 CloseAnswer (no caller = operator)
 *
 * Errors: `{error: code, message}` with 400 invalid · 403 refused · 404 unknown ·
 * 409 duplicate/closed · 413 body too large · 429 limit · 503 stopped.
 */
import type http from 'node:http';
import type { AdminPort } from './port.js';
import { teammateCall, type TeammateCallName } from '../teammates/calls.js';
import { TEAMMATE_ERROR_HTTP } from '../teammates/api.js';
import { TeammateError } from '../teammates/rules.js';
import { readBodyText } from '../http/json.js';

type Reply = (status: number, body: unknown) => void;

const BODY_LIMIT = 1024 * 1024;

const CALLS: Readonly<Record<string, TeammateCallName>> = {
  '/teammates/spawn': 'spawn',
  '/teammates/send': 'send',
  '/teammates/status': 'status',
  '/teammates/close': 'close',
};

/** Answers a teammate route; false when `pathname` is not one. */
export async function handleTeammates(req: http.IncomingMessage, pathname: string, reply: Reply, service: AdminPort): Promise<boolean> {
  if (pathname !== '/teammates' && !pathname.startsWith('/teammates/')) return false;
  const m = service.teammates;
  const want = (method: 'GET' | 'POST'): boolean => {
    if (req.method === method) return true;
    reply(405, { error: 'method_not_allowed', message: `${pathname} takes ${method}` });
    return false;
  };
  if (pathname === '/teammates') {
    if (!want('GET')) return true;
    const name = new URL(req.url ?? '/', 'http://admin').searchParams.get('name');
    try {
      reply(200, { teammates: name === null ? m.all() : m.status({ role: 'operator' }, name) });
    } catch (err) {
      if (!(err instanceof TeammateError)) throw err;
      reply(TEAMMATE_ERROR_HTTP[err.code], { error: err.code, message: err.message });
    }
    return true;
  }
  const call = CALLS[pathname];
  if (call === undefined) {
    reply(404, { error: 'not_found', message: `no admin route ${req.method} ${pathname}` });
    return true;
  }
  if (!want('POST')) return true;
  const raw = await readBodyText(req, BODY_LIMIT);
  if (raw === null) {
    reply(413, { error: 'invalid', message: 'body too large' });
    return true;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    reply(400, { error: 'invalid', message: 'body is not valid JSON' });
    return true;
  }
  const answer = await teammateCall(m, call, json);
  reply(answer.status, answer.body);
  return true;
}
