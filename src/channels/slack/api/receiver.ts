/**
 * Bolt receivers of a Slack channel, with the service's inbound seam in front of Bolt:
 *
 * - {@link GatedReceiver} wraps Bolt's receiver so every body it hands to `App.processEvent` goes
 *   through ../inbound/gate.ts first (shape, identity, non-event callbacks: acked and logged).
 *   Receivers only call `app.processEvent` (Bolt 5.1 dist/receivers/HTTPReceiver.js and
 *   SocketModeReceiver.js: `init(app)` stores it, events go to `this.app.processEvent(event)`).
 * - HTTP mode: Bolt's `HTTPReceiver` (signature, body parsing, `url_verification`, acks), whose
 *   public `requestListener` is wrapped by ./http-guard.ts: a request dated more than 5 minutes in
 *   the past *or the future* is answered 401, a body that is not a JSON object 400, before Bolt
 *   sees it.
 * - Socket Mode: ./socket-frames.ts guards the SDK's frame handler.
 */
import { type App, HTTPReceiver, type Receiver, type Logger as SlackLogger, SocketModeReceiver } from '@slack/bolt';
import type { Clock } from '../../../clock.js';
import type { SlackChannelConfig } from '../../../config/schema.js';
import type { Logger } from '../../../log.js';
import { gatedApp } from '../inbound/gate.js';
import type { OwnSlackIdentity } from '../inbound/identity-guard.js';
import { withTrailingSlash } from './client.js';
import { guardHttpRequests } from './http-guard.js';
import { guardSocketFrames } from './socket-frames.js';

/** A Receiver that hands Bolt's receiver a gated view of the App (see the module doc). */
export class GatedReceiver<R extends Receiver> implements Receiver {
  constructor(
    readonly inner: R,
    private readonly own: OwnSlackIdentity,
    private readonly logger: Logger,
  ) {}

  init(app: App): void {
    this.inner.init(gatedApp(app, () => this.own, this.logger));
  }

  start(...args: unknown[]): Promise<unknown> {
    return this.inner.start(...args);
  }

  stop(...args: unknown[]): Promise<unknown> {
    return this.inner.stop(...args);
  }
}

export interface ReceiverOptions {
  config: SlackChannelConfig;
  own: OwnSlackIdentity;
  sdkLogger: SlackLogger;
  logger: Logger;
  clock: Clock;
}

/**
 * Socket Mode: the receiver's WebClient points at `config.apiUrl` (apps.connections.open); frames
 * the SDK cannot handle are acked and logged in front of it (./socket-frames.ts).
 */
export function socketModeReceiver(opts: ReceiverOptions): GatedReceiver<SocketModeReceiver> {
  const { config } = opts;
  const inner = new SocketModeReceiver({
    appToken: config.appToken ?? '',
    logger: opts.sdkLogger,
    installerOptions: { clientOptions: config.apiUrl ? { slackApiUrl: withTrailingSlash(config.apiUrl) } : {} },
  });
  guardSocketFrames(inner.client, opts.logger);
  return new GatedReceiver(inner, opts.own, opts.logger);
}

/** HTTP (Events API) on `config.path`, Bolt's request listener behind ./http-guard.ts. */
export function httpReceiver(opts: ReceiverOptions): GatedReceiver<HTTPReceiver> {
  const { config, clock, logger, sdkLogger } = opts;
  const inner = new HTTPReceiver({ signingSecret: config.signingSecret ?? '', endpoints: config.path, logger: sdkLogger });
  inner.requestListener = guardHttpRequests(inner.requestListener, { clock, logger, sdkLogger });
  return new GatedReceiver(inner, opts.own, logger);
}
