/**
 * Display names of Slack users via `users.info` (api.slack.com/methods/users.info; scope
 * `users:read`), cached.
 *
 * - Name: `profile.display_name`, else `profile.real_name`, else `real_name`, else `name`.
 * - Cache: `ttlMs` (default 1 h) per user, at most `maxEntries` (default 1,000, least recently used
 *   evicted); failures are cached too, briefly (`failureTtlMs`, default 60 s), so a burst of
 *   messages does not hammer a failing endpoint. Concurrent lookups of one id share one call.
 * - A lookup waits at most `waitMs` (default 3 s) — a rate-limited `users.info` must not hold up an
 *   inbound message; the call carries on and fills the cache for next time.
 * - Never rejects: unknown → undefined.
 */
import type { Clock } from '../../../clock.js';
import type { Logger } from '../../../log.js';
import { callSlack } from './call.js';
import type { SlackWebClient } from './client.js';

export interface UserDirectoryOptions {
  client: SlackWebClient;
  clock: Clock;
  logger: Logger;
  ttlMs?: number;
  failureTtlMs?: number;
  maxEntries?: number;
  waitMs?: number;
}

export interface UserDirectory {
  /** The display name of `userId`, or undefined when unknown or not (yet) available. */
  name(userId: string): Promise<string | undefined>;
}

interface Entry {
  name: string | undefined;
  expiresAt: number;
}

/** The best display name in a `users.info` user object. */
export function displayNameOf(
  user: { name?: string; real_name?: string; profile?: { display_name?: string; real_name?: string } } | undefined,
): string | undefined {
  if (!user) return undefined;
  return user.profile?.display_name || user.profile?.real_name || user.real_name || user.name || undefined;
}

export function createUserDirectory(opts: UserDirectoryOptions): UserDirectory {
  const ttl = opts.ttlMs ?? 60 * 60_000;
  const failureTtl = opts.failureTtlMs ?? 60_000;
  const max = opts.maxEntries ?? 1_000;
  const waitMs = opts.waitMs ?? 3_000;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<string | undefined>>();

  const remember = (id: string, name: string | undefined, forMs: number): void => {
    cache.delete(id);
    cache.set(id, { name, expiresAt: opts.clock.now() + forMs });
    while (cache.size > max) cache.delete(cache.keys().next().value!);
  };

  const fetchName = (id: string): Promise<string | undefined> => {
    const pending = inFlight.get(id);
    if (pending) return pending;
    const p = callSlack({ client: opts.client, logger: opts.logger }, 'users.info', { user: id })
      .then((res) => {
        if (res.ok) {
          const name = displayNameOf(res.value.user);
          remember(id, name, ttl);
          return name;
        }
        opts.logger.debug({ user: id, err: res.code }, 'users.info failed; showing the user id');
        remember(id, undefined, res.code === 'user_not_found' ? ttl : failureTtl);
        return undefined;
      })
      .finally(() => inFlight.delete(id));
    inFlight.set(id, p);
    return p;
  };

  return {
    async name(userId: string): Promise<string | undefined> {
      const hit = cache.get(userId);
      if (hit && hit.expiresAt > opts.clock.now()) {
        // Refresh recency (Map order = eviction order).
        cache.delete(userId);
        cache.set(userId, hit);
        return hit.name;
      }
      let timer: { cancel(): void } | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = opts.clock.setTimeout(() => resolve(undefined), waitMs);
      });
      try {
        return await Promise.race([fetchName(userId), timeout]);
      } finally {
        timer?.cancel();
      }
    },
  };
}
