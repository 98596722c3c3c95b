/** Issued tenant/app access tokens and their validation. */
import { newAppToken, newTenantToken } from './ids.js';

export type TokenCheck = 'ok' | 'missing' | 'invalid';

export class TokenIssuer {
  private readonly live = new Map<string, { kind: 'tenant' | 'app'; expiresAt: number }>();
  /** Every tenant token issued, oldest first. */
  readonly issued: string[] = [];

  constructor(private readonly ttlSec: () => number) {}

  issue(kind: 'tenant' | 'app'): { token: string; expire: number } {
    const token = kind === 'tenant' ? newTenantToken() : newAppToken();
    const expire = this.ttlSec();
    this.live.set(token, { kind, expiresAt: Date.now() + expire * 1000 });
    if (kind === 'tenant') this.issued.push(token);
    return { token, expire };
  }

  /** Tenant-token check for an Open API call. */
  check(token: string | undefined): TokenCheck {
    if (!token) return 'missing';
    const t = this.live.get(token);
    if (t?.kind !== 'tenant' || t.expiresAt <= Date.now()) return 'invalid';
    return 'ok';
  }

  /** Invalidates every token issued so far (as if they expired server-side). */
  revokeAll(): void {
    this.live.clear();
  }
}

/** Feishu's answers for a missing / invalid tenant token (HTTP 400 with these codes). */
export const TOKEN_ERRORS = {
  missing: { code: 99991661, msg: 'Missing access token for authorization. Please make a request with token attached.' },
  invalid: { code: 99991663, msg: 'Invalid access token for authorization. Please make a request with token attached.' },
} as const;
