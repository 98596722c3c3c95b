/**
 * Caller tokens of the teammate tools' MCP endpoint (./http-server.ts): each codex thread of a
 * runtime sends `Authorization: Bearer <token>`, and the token itself says who calls — a
 * dispatcher (and, on a session thread, its session key) or a teammate — signed with a secret the
 * service draws at start, so one runtime cannot present another's identity without its token.
 *
 * Format: `sb1.<payload>.<mac>`, both base64url; payload = JSON `{"role","id"[,"session"]}`,
 * mac = HMAC-SHA256(secret, "switchboard-mcp\0" + payload). Tokens are valid for the service run
 * that issued them (a restart draws a new secret). They are not platform secrets, but they let the
 * holder call the tools as that identity: keep them out of logs.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from '../teammates/api.js';

/** A runtime's identity: a dispatcher (optionally one of its sessions) or a teammate; never the operator. */
export type ToolCaller = Exclude<Caller, { role: 'operator' }>;

const PREFIX = 'sb1';
const DOMAIN = 'switchboard-mcp\u0000';

const payloadSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('dispatcher'), id: z.string().min(1), session: z.string().min(1).optional() }).strict(),
  z.object({ role: z.literal('teammate'), id: z.string().min(1) }).strict(),
]);

export class McpCallerTokens {
  readonly #secret: Buffer;

  /** @param secret HMAC key; default 32 random bytes (one per service run). */
  constructor(secret: Buffer = randomBytes(32)) {
    this.#secret = secret;
  }

  /** The token that identifies `caller` (deterministic for one secret). */
  tokenFor(caller: ToolCaller): string {
    const c: ToolCaller =
      caller.role === 'teammate'
        ? { role: 'teammate', id: caller.id }
        : caller.session === undefined
          ? { role: 'dispatcher', id: caller.id }
          : { role: 'dispatcher', id: caller.id, session: caller.session };
    const payload = Buffer.from(JSON.stringify(c)).toString('base64url');
    return `${PREFIX}.${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /**
   * The caller a token names, or null when it is not one of ours (malformed, another secret, or
   * altered). Constant-time in the MAC comparison.
   */
  callerOf(token: string): ToolCaller | null {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX || !parts[1] || !parts[2]) return null;
    const [, payload, mac] = parts;
    const given = Buffer.from(mac, 'base64url');
    const want = this.mac(payload);
    if (given.length !== want.length || !timingSafeEqual(given, want)) return null;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const parsed = payloadSchema.safeParse(json);
    return parsed.success ? parsed.data : null;
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.#secret).update(DOMAIN).update(payload).digest();
  }
}
