/**
 * One teammate operation on behalf of a caller, answered as the admin routes answer it: the
 * admin socket (`src/admin/teammate-routes.ts`) and the teammate tools' MCP endpoint
 * (`src/mcp/tools.ts`) both go through here, so their answers are the same JSON.
 *
 * Answers: spawn 202 SpawnAnswer · send 202 SendAnswer · status 200 `{teammates}` · close 200
 * CloseAnswer; errors `{error: code, message}` with 400 invalid (body fails its schema: message
 * `<path>: <issue>`) · 403 refused · 404 unknown · 409 duplicate/closed · 429 limit · 503 stopped.
 */
import type { z } from 'zod';
import { closeBodySchema, sendBodySchema, spawnBodySchema, statusBodySchema, TEAMMATE_ERROR_HTTP, type Caller } from './api.js';
import type { TeammateManager } from './manager.js';
import { TeammateError } from './rules.js';

/** The teammate operations a call needs. */
export type TeammateOps = Pick<TeammateManager, 'status' | 'spawn' | 'send' | 'close'>;

export type TeammateCallName = 'spawn' | 'send' | 'status' | 'close';

/** HTTP status and JSON body of a call's answer. */
export interface TeammateCallAnswer {
  status: number;
  body: unknown;
}

const OPERATOR: Caller = { role: 'operator' };

function parse<S extends z.ZodType>(schema: S, json: unknown): { ok: true; data: z.infer<S> } | { ok: false; answer: TeammateCallAnswer } {
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, answer: { status: 400, body: { error: 'invalid', message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` } } };
}

/**
 * Runs call `name` with request body `json` (`{caller, …}` as in `./api.ts`; close without a
 * caller is the operator's). Never throws a TeammateError (it becomes the answer); other errors
 * propagate.
 */
export async function teammateCall(ops: TeammateOps, name: TeammateCallName, json: unknown): Promise<TeammateCallAnswer> {
  try {
    switch (name) {
      case 'spawn': {
        const b = parse(spawnBodySchema, json);
        return b.ok ? { status: 202, body: await ops.spawn(b.data.caller, b.data) } : b.answer;
      }
      case 'send': {
        const b = parse(sendBodySchema, json);
        return b.ok ? { status: 202, body: await ops.send(b.data.caller, b.data) } : b.answer;
      }
      case 'status': {
        const b = parse(statusBodySchema, json);
        return b.ok ? { status: 200, body: { teammates: ops.status(b.data.caller, b.data.name) } } : b.answer;
      }
      case 'close': {
        const b = parse(closeBodySchema, json);
        return b.ok ? { status: 200, body: await ops.close(b.data.caller ?? OPERATOR, b.data.name) } : b.answer;
      }
    }
  } catch (err) {
    if (!(err instanceof TeammateError)) throw err;
    return { status: TEAMMATE_ERROR_HTTP[err.code], body: { error: err.code, message: err.message } };
  }
}
