/**
 * The long connection ("长连接", `lark.WSClient`): no public URL needed.
 *
 * SDK facts (1.74, lib/index.js `WSClient`; test/integration/fake-feishu.test.ts):
 * - `start()` returns before anything is connected; `onReady` fires after the first handshake,
 *   `onError` when the endpoint refuses the credentials (code 514 …) or retries run out. So
 *   {@link startLongConnection} waits for one of them (or a timeout) and throws on failure.
 * - An app id not matching `^cli_[0-9a-fA-F]{16}$` makes `start()` log and silently do nothing
 *   (the config schema rejects such ids in this mode; checked here again).
 * - Before every (re)connect it pulls `POST {domain}/callback/ws/endpoint` for a fresh URL; after a
 *   drop it reconnects by itself (`onReconnecting` / `onReconnected`).
 * - `close({force: true})` terminates the socket at once and stops reconnecting.
 * - `getConnectionStatus()` (types/index.d.ts `WSConnectionState`) is a side-effect-free snapshot
 *   derived from the client's flags (`computeState()`): `failed` once it gave up (onError), while a
 *   (re)connect is in flight `connecting` before the first handshake and `reconnecting` after one,
 *   `connected` while its socket is OPEN, else `idle`. The socket's `close` event calls `reConnect()`,
 *   which marks the client as connecting at once, so a drop shows as `reconnecting` immediately; the
 *   attempts then follow the server-sent ClientConfig (ReconnectNonce, ReconnectInterval,
 *   ReconnectCount; the SDK's defaults 30 s / 120 s / unlimited apply until the endpoint answers).
 */
import type { Clock } from '../../../clock.js';
import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../../log.js';
import type { ChannelConnection } from '../../types.js';
import { sdkDomain } from '../api/client.js';
import { createLarkLogger, SDK_LOGGER_LEVEL } from '../api/logger.js';
import { errorMessage } from '../../../errors.js';

/** How long start() waits for the first connection, ms. */
export const CONNECT_TIMEOUT_MS = 20_000;

export interface LongConnectionOptions {
  channelId: string;
  appId: string;
  appSecret: string;
  domain: string;
  dispatcher: lark.EventDispatcher;
  logger: Logger;
  /** Where the SDK's own lines go. */
  sdkLogger: Logger;
  /** Values the SDK's log lines must not show. */
  secrets?: readonly string[];
  /** Bound on the first connection, ms; default {@link CONNECT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Time source of that bound. */
  clock: Clock;
}

/**
 * Connects and resolves once the connection is up.
 * @throws Error naming the channel: credentials refused, or no connection within the timeout.
 */
export async function startLongConnection(opts: LongConnectionOptions): Promise<lark.WSClient> {
  const { logger } = opts;
  if (!/^cli_[0-9a-fA-F]{16}$/.test(opts.appId)) {
    throw new Error(`feishu channel "${opts.channelId}": the long connection needs an app id of the form cli_ + 16 hex digits`);
  }
  let ready = false;
  let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const connected = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Awaited below; a late rejection (after start() already failed) must not go unhandled.
  connected.catch(() => undefined);
  const ws = new lark.WSClient({
    appId: opts.appId,
    appSecret: opts.appSecret,
    domain: sdkDomain(opts.domain),
    logger: createLarkLogger(opts.sdkLogger, [opts.appSecret, ...(opts.secrets ?? [])]),
    loggerLevel: SDK_LOGGER_LEVEL,
    source: 'switchboard',
    onReady: () => {
      ready = true;
      settle?.resolve();
    },
    onError: (err: Error) => {
      if (!ready) settle?.reject(err);
      else logger.error({ err: err.message }, 'feishu long connection gave up reconnecting; restart the service once Feishu is reachable');
    },
    onReconnecting: () => logger.warn('feishu long connection lost; reconnecting'),
    onReconnected: () => logger.info('feishu long connection re-established'),
  });
  const timeoutMs = opts.timeoutMs ?? CONNECT_TIMEOUT_MS;
  const timer = opts.clock.setTimeout(() => settle?.reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
  try {
    await ws.start({ eventDispatcher: opts.dispatcher });
    await connected;
  } catch (err) {
    ws.close({ force: true });
    const why = errorMessage(err);
    const hint = /code=514|auth/i.test(why)
      ? 'check channels[].appId / appSecret and that the app subscribes to events through the long connection'
      : 'check that Feishu/Lark is reachable and channels[].domain is right';
    throw new Error(`feishu channel "${opts.channelId}": the long connection could not be opened (${why}); ${hint}`, { cause: err });
  } finally {
    timer.cancel();
  }
  return ws;
}

/**
 * The live state of a started long connection, from the SDK's `getConnectionStatus()`:
 * `connected` / `connecting` / `reconnecting` as the SDK names them; `idle` (socket not open,
 * no attempt running) and `failed` (the SDK gave up) are `disconnected`.
 */
export function longConnectionState(ws: Pick<lark.WSClient, 'getConnectionStatus'>): ChannelConnection {
  const { state } = ws.getConnectionStatus();
  switch (state) {
    case 'connected':
    case 'connecting':
    case 'reconnecting':
      return state;
    case 'idle':
    case 'failed':
      return 'disconnected';
  }
}
