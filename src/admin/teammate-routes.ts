/**
 * Teammate routes on the admin socket. The MCP server calls them for the
 * agents (with the caller identity it was started with); the CLI calls them
 * as an operator.
 *
 * - `GET /teammates[?name=N]` → `{teammates: TeammateStatus[]}` (operator view, closed ones included)
 * - `POST /teammates/spawn {caller, name, task, cwd?}` → 202 SpawnAnswer
 * - `POST /teammates/send {caller, name, text}` → 202 SendAnswer
 * - `POST /teammates/status {caller, name?}` → 200 `{teammates: TeammateStatus[]}`
 * - `POST /teammates/close {caller?, name}` → 200 CloseAnswer (no caller = operator)
 *
 * Errors: `{error: code, message}` with 400 invalid · 403 refused · 404 unknown ·
 * 409 duplicate/closed · 429 limit · 503 stopped.
 */
import type http from 'node:http';
import type { z } from 'zod';
import type { AdminPort } from './port.js';
import { closeBodySchema, sendBodySchema, spawnBodySchema, statusBodySchema, TEAMMATE_ERROR_HTTP, type Caller } from '../teammates/api.js';
import { TeammateError } from '../teammates/rules.js';
import { readBodyText } from '../http/json.js';

type Reply = (status: number, body: unknown) => void;

const BODY_LIMIT = 1024 * 1024;

const OPERATOR: Caller = { role: 'operator' };

async function parse<S extends z.ZodType>(req: http.IncomingMessage, schema: S, reply: Reply): Promise<z.infer<S> | null> {
  const raw = await readBodyText(req, BODY_LIMIT);
  if (raw === null) {
    reply(413, { error: 'invalid', message: 'body too large' });
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    reply(400, { error: 'invalid', message: 'body is not valid JSON' });
    return null;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    reply(400, { error: 'invalid', message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` });
    return null;
  }
  return parsed.data;
}

/** Answers a teammate route; false when `pathname` is not one. */
export async function handleTeammates(req: http.IncomingMessage, pathname: string, reply: Reply, service: AdminPort): Promise<boolean> {
  if (pathname !== '/teammates' && !pathname.startsWith('/teammates/')) return false;
  const m = service.teammates;
  const want = (method: 'GET' | 'POST'): boolean => {
    if (req.method === method) return true;
    reply(405, { error: 'method_not_allowed', message: `${pathname} takes ${method}` });
    return false;
  };
  try {
    switch (pathname) {
      case '/teammates': {
        if (!want('GET')) return true;
        const name = new URL(req.url ?? '/', 'http://admin').searchParams.get('name');
        reply(200, { teammates: name === null ? m.all() : m.status(OPERATOR, name) });
        return true;
      }
      case '/teammates/spawn': {
        if (!want('POST')) return true;
        const b = await parse(req, spawnBodySchema, reply);
        if (b) reply(202, await m.spawn(b.caller, b));
        return true;
      }
      case '/teammates/send': {
        if (!want('POST')) return true;
        const b = await parse(req, sendBodySchema, reply);
        if (b) reply(202, await m.send(b.caller, b));
        return true;
      }
      case '/teammates/status': {
        if (!want('POST')) return true;
        const b = await parse(req, statusBodySchema, reply);
        if (b) reply(200, { teammates: m.status(b.caller, b.name) });
        return true;
      }
      case '/teammates/close': {
        if (!want('POST')) return true;
        const b = await parse(req, closeBodySchema, reply);
        if (b) reply(200, await m.close(b.caller ?? OPERATOR, b.name));
        return true;
      }
      default:
        reply(404, { error: 'not_found', message: `no admin route ${req.method} ${pathname}` });
        return true;
    }
  } catch (err) {
    if (!(err instanceof TeammateError)) throw err;
    reply(TEAMMATE_ERROR_HTTP[err.code], { error: err.code, message: err.message });
    return true;
  }
}
