/**
 * Bolt receivers of a Slack channel, with the service's inbound seam in front of Bolt:
 *
 * - {@link GatedReceiver} wraps Bolt's receiver so every body it hands to `App.processEvent` goes
 *   through ../inbound/gate.ts first (shape, identity, non-event callbacks: acked and logged).
 *   Receivers only call `app.processEvent` (Bolt 5.1 dist/receivers/HTTPReceiver.js and
 *   SocketModeReceiver.js: `init(app)` stores it, events go to `this.app.processEvent(event)`).
 * - HTTP mode: Bolt's `HTTPReceiver` (signature, body parsing, `url_verification`, acks), whose
 *   public `requestListener` is wrapped so a request whose `X-Slack-Request-Timestamp` lies more
 *   than 5 minutes in the past *or the future* is answered 401 before Bolt sees it
 *   (../../signed-window.ts: Bolt itself only rejects old ones). A missing or malformed header is
 *   left to Bolt, which answers 401 (its signature check needs the header).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type App, HTTPReceiver, type Receiver, type Logger as SlackLogger, SocketModeReceiver } from '@slack/bolt';
import type { Clock } from '../../../clock.js';
import type { SlackChannelConfig } from '../../../config/schema.js';
import type { Logger } from '../../../log.js';
import { checkRequestTimestamp } from '../../signed-window.js';
import { gatedApp } from '../inbound/gate.js';
import type { OwnSlackIdentity } from '../inbound/identity-guard.js';
import { withTrailingSlash } from './client.js';

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

/** Socket Mode: the receiver's WebClient points at `config.apiUrl` (apps.connections.open). */
export function socketModeReceiver(opts: ReceiverOptions): GatedReceiver<SocketModeReceiver> {
  const { config } = opts;
  const inner = new SocketModeReceiver({
    appToken: config.appToken ?? '',
    logger: opts.sdkLogger,
    installerOptions: { clientOptions: config.apiUrl ? { slackApiUrl: withTrailingSlash(config.apiUrl) } : {} },
  });
  return new GatedReceiver(inner, opts.own, opts.logger);
}

/** HTTP (Events API) on `config.path`, with the two-sided timestamp window in front of Bolt's checks. */
export function httpReceiver(opts: ReceiverOptions): GatedReceiver<HTTPReceiver> {
  const { config, clock, logger } = opts;
  const inner = new HTTPReceiver({ signingSecret: config.signingSecret ?? '', endpoints: config.path, logger: opts.sdkLogger });
  const bolt = inner.requestListener;
  inner.requestListener = (req: IncomingMessage, res: ServerResponse): void => {
    const ts = req.headers['x-slack-request-timestamp'];
    if (typeof ts === 'string' && req.method === 'POST') {
      const verdict = checkRequestTimestamp(ts, clock.now());
      if (!verdict.ok) {
        logger.warn({ reason: verdict.reason, detail: verdict.detail, path: req.url }, 'slack request rejected: timestamp outside the 5-minute window');
        // Drain the body so the connection can be reused, then answer like Bolt's own 401.
        req.resume();
        res.writeHead(401);
        res.end();
        return;
      }
    }
    bolt(req, res);
  };
  return new GatedReceiver(inner, opts.own, logger);
}
