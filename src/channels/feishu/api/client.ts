/**
 * The Open API client of one Feishu/Lark channel: a `lark.Client` with a token cache of our own and
 * a per-request timeout.
 *
 * Facts (node_modules/@larksuiteoapi/node-sdk/lib/index.js, 1.74; test/integration/fake-feishu.test.ts):
 * - `domain` is `lark.Domain.Feishu` (https://open.feishu.cn), `lark.Domain.Lark`
 *   (https://open.larksuite.com) or any base URL string, passed through unchanged.
 * - The tenant token is fetched from `POST /open-apis/auth/v3/tenant_access_token/internal` and kept
 *   in `cache` under `CTenantAccessToken` (namespace = app id) until `expire − 180 s`. The SDK never
 *   drops a token the server rejects (99991663): with the default process-wide cache every later
 *   call would fail the same way. Our {@link TokenCache} is per channel and can be cleared.
 * - The default axios instance has no timeout; {@link withTimeout} adds one to every request the
 *   Client (and its token manager) makes.
 */
import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../../log.js';
import { createLarkLogger, SDK_LOGGER_LEVEL } from './logger.js';

/** Per-attempt timeout of an Open API request, ms. */
export const FEISHU_REQUEST_TIMEOUT_MS = 15_000;

/** A clearable `lark.Cache` (the SDK keeps the tenant token in it). */
export class TokenCache implements lark.Cache {
  private readonly values = new Map<string, { value: unknown; expiresAt: number | undefined }>();

  // biome-ignore lint/complexity/noBannedTypes: `Symbol` as lark.Cache declares it (types/index.d.ts)
  private key(key: string | symbol | Symbol, namespace?: string): string {
    return `${namespace ?? ''}\u0000${key.toString()}`;
  }

  // biome-ignore lint/complexity/noBannedTypes: `Symbol` as lark.Cache declares it (types/index.d.ts)
  async set(key: string | Symbol, value: unknown, expire?: number, options?: { namespace?: string }): Promise<boolean> {
    this.values.set(this.key(key, options?.namespace), { value, expiresAt: expire });
    return true;
  }

  // biome-ignore lint/complexity/noBannedTypes: `Symbol` as lark.Cache declares it (types/index.d.ts)
  async get(key: string | Symbol, options?: { namespace?: string }): Promise<unknown> {
    const k = this.key(key, options?.namespace);
    const e = this.values.get(k);
    if (!e) return undefined;
    // The SDK computes `expire` from Date.now() itself, so the check uses the same time base.
    if (e.expiresAt !== undefined && e.expiresAt <= Date.now()) {
      this.values.delete(k);
      return undefined;
    }
    return e.value;
  }

  /** Forgets every cached token (the next call fetches a fresh one). */
  clear(): void {
    this.values.clear();
  }
}

/** `config.domain` → what the SDK's `domain` option takes. */
export function sdkDomain(domain: string): lark.Domain | string {
  if (domain === 'feishu') return lark.Domain.Feishu;
  if (domain === 'lark') return lark.Domain.Lark;
  return domain.replace(/\/+$/, '');
}

/** The SDK's default axios instance (answers resolve to the response body) with a timeout on every request. */
export function withTimeout(timeoutMs: number, base: lark.HttpInstance = lark.defaultHttpInstance as unknown as lark.HttpInstance): lark.HttpInstance {
  const add = <D>(o?: lark.HttpRequestOptions<D>): lark.HttpRequestOptions<D> => ({ timeout: timeoutMs, ...o });
  return {
    request: (o) => base.request(add(o)),
    get: (url, o) => base.get(url, add(o)),
    delete: (url, o) => base.delete(url, add(o)),
    head: (url, o) => base.head(url, add(o)),
    options: (url, o) => base.options(url, add(o)),
    post: (url, data, o) => base.post(url, data, add(o)),
    put: (url, data, o) => base.put(url, data, add(o)),
    patch: (url, data, o) => base.patch(url, data, add(o)),
  };
}

export interface FeishuClientOptions {
  appId: string;
  appSecret: string;
  /** `config.domain`. */
  domain: string;
  logger: Logger;
  /** Values the SDK's log lines must not show (see ./logger.ts). */
  secrets?: readonly string[];
  timeoutMs?: number;
}

export interface FeishuApi {
  client: lark.Client;
  cache: TokenCache;
}

/** Creates the channel's Open API client (no request is made). */
export function createFeishuClient(opts: FeishuClientOptions): FeishuApi {
  const cache = new TokenCache();
  const client = new lark.Client({
    appId: opts.appId,
    appSecret: opts.appSecret,
    domain: sdkDomain(opts.domain),
    cache,
    httpInstance: withTimeout(opts.timeoutMs ?? FEISHU_REQUEST_TIMEOUT_MS),
    logger: createLarkLogger(opts.logger, [opts.appSecret, ...(opts.secrets ?? [])]),
    loggerLevel: SDK_LOGGER_LEVEL,
    source: 'switchboard',
  });
  return { client, cache };
}
