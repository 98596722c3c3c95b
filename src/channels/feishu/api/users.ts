/**
 * Display names of Feishu users by open_id, for the turn input's `[name via …]` header and for
 * prompts ("Approved by <name>"): Feishu's message and card-action events carry only ids.
 *
 * Source: Open API `GET /open-apis/contact/v3/users/:user_id?user_id_type=open_id` (SDK
 * `client.contact.v3.user.get`) → `{code: 0, data: {user: {name, en_name, …}}}`; it needs the scope
 * `contact:user.base:readonly` and the user inside the app's contact range (else code 41050 "no
 * user authority error"; a missing scope answers 99991672).
 *
 * - Names are cached per open_id for `ttlMs` (default 1 h), at most `max` (1000), oldest dropped.
 *   A failed lookup is cached too (as "no name") for the same time, so a tenant without the scope
 *   costs one call per user per hour, not one per message; the first failure of each code is
 *   logged at warn with the fix.
 * - `name` waits at most `waitMs` (default 1 s) for a lookup, then answers undefined (callers fall
 *   back to the open_id) while the lookup goes on and fills the cache: Feishu wants an event's
 *   acknowledgement within about 3 s. It never rejects.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import type { Clock } from '../../../clock.js';
import { callFeishu, type CallContext } from './call.js';

export interface FeishuUserNamesOptions {
  client: lark.Client;
  ctx: CallContext;
  clock: Clock;
  /** How long a looked-up name (or its absence) is kept, ms. */
  ttlMs?: number;
  /** Cached users at most. */
  max?: number;
  /** Longest wait for a lookup before `name` answers undefined, ms. */
  waitMs?: number;
}

interface UserAnswer {
  code?: number;
  msg?: string;
  data?: { user?: { name?: string; en_name?: string } };
}

interface Entry {
  name: string | undefined;
  until: number;
}

/** Scope whose absence makes every lookup fail (named in the warning). */
const SCOPE = 'contact:user.base:readonly';

export class FeishuUserNames {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<string | undefined>>();
  private readonly warned = new Set<string>();

  constructor(private readonly opts: FeishuUserNamesOptions) {}

  /** The user's display name; undefined when unknown, not allowed, or not answered within `waitMs`. */
  async name(openId: string): Promise<string | undefined> {
    const hit = this.cache.get(openId);
    if (hit && hit.until > this.opts.clock.now()) return hit.name;
    const lookup = this.inFlight.get(openId) ?? this.lookUp(openId);
    let timer: { cancel(): void } | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = this.opts.clock.setTimeout(() => resolve(undefined), this.opts.waitMs ?? 1000);
    });
    try {
      return await Promise.race([lookup, late]);
    } finally {
      timer?.cancel();
    }
  }

  private lookUp(openId: string): Promise<string | undefined> {
    const { client, ctx } = this.opts;
    const p = callFeishu(
      ctx,
      'contact.user.get',
      () => client.contact.v3.user.get({ path: { user_id: openId }, params: { user_id_type: 'open_id' } }) as Promise<UserAnswer>,
      { retryTransient: true },
    ).then((res) => {
      let name: string | undefined;
      if (res.ok) {
        const user = res.value.data?.user;
        name = user?.name || user?.en_name || undefined;
      } else if (!this.warned.has(res.code)) {
        this.warned.add(res.code);
        ctx.logger.warn(
          { err: res.code, detail: res.detail },
          `feishu user names unavailable (${res.code}); users are shown by open_id. Grant the app the scope ${SCOPE} and include the users in its contact range to show names`,
        );
      }
      this.remember(openId, name);
      return name;
    });
    this.inFlight.set(openId, p);
    void p.finally(() => this.inFlight.delete(openId));
    return p;
  }

  private remember(openId: string, name: string | undefined): void {
    this.cache.delete(openId);
    this.cache.set(openId, { name, until: this.opts.clock.now() + (this.opts.ttlMs ?? 3_600_000) });
    const max = this.opts.max ?? 1000;
    while (this.cache.size > max) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}
