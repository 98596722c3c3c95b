/**
 * Access token of the web chat (config `channels[].auth.token`), required when it listens off
 * loopback. A client proves it knows the token with `Authorization: Bearer <token>` (API clients)
 * or with the session cookie the login form sets (the page; `HttpOnly`, `SameSite=Strict`), whose
 * value is an HMAC of the token — never the token itself. Comparisons are constant-time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Name of the page's session cookie. */
export const SESSION_COOKIE = 'switchboard_web';
/** Lifetime of the session cookie, seconds (30 days). */
const COOKIE_MAX_AGE_S = 30 * 24 * 3600;

export class WebAuth {
  private readonly tokenDigest: Buffer;
  private readonly cookieValue: string;
  private readonly cookieDigest: Buffer;

  /** `token`: the configured access token (the schema requires ≥ 16 characters). */
  constructor(token: string) {
    this.tokenDigest = sha256(token);
    this.cookieValue = createHmac('sha256', token).update('switchboard web session v1').digest('base64url');
    this.cookieDigest = sha256(this.cookieValue);
  }

  /** True when `candidate` is the access token. */
  matches(candidate: string): boolean {
    return timingSafeEqual(sha256(candidate), this.tokenDigest);
  }

  /** True when the request carries the token as a Bearer credential or the session cookie. */
  allows(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (m?.[1] && this.matches(m[1])) return true;
    }
    const cookie = cookieOf(req.headers.cookie, SESSION_COOKIE);
    return cookie !== undefined && timingSafeEqual(sha256(cookie), this.cookieDigest);
  }

  /** `Set-Cookie` value for a client that presented the token (`Secure` when the request came over HTTPS). */
  sessionCookie(req: IncomingMessage): string {
    const https = req.headers['x-forwarded-proto'] === 'https' || (req.socket as { encrypted?: boolean }).encrypted === true;
    return `${SESSION_COOKIE}=${this.cookieValue}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${COOKIE_MAX_AGE_S}${https ? '; Secure' : ''}`;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The value of cookie `name` in a `Cookie` header, undefined when absent. */
function cookieOf(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
