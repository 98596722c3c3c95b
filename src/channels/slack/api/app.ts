/**
 * The Bolt `App` of a Slack channel, for either mode, and starting/stopping it.
 *
 * Facts (checked in node_modules/@slack/bolt/dist and test/integration/fake-slack.test.ts):
 * - With `token`, `botId` and `botUserId` given, the App constructor makes no Web API call (it
 *   would call `auth.test` itself otherwise); we pass the ids from our own `auth.test`.
 * - Socket Mode: an explicit `SocketModeReceiver` whose `installerOptions.clientOptions` carry
 *   `slackApiUrl` (its own WebClient calls `apps.connections.open` with the app-level token and
 *   dials the WebSocket URL it returns). Its WebClient keeps the SocketModeClient's long
 *   reconnect-friendly retry policy; our calls use the channel's own client.
 * - HTTP (Events API): Bolt's `HTTPReceiver` verifies `X-Slack-Signature` (v0 HMAC-SHA256 of
 *   `v0:{timestamp}:{body}`) and rejects requests more than 5 minutes old with 401 (./receiver.ts
 *   adds the same limit for requests dated in the future), answers
 *   `url_verification`, acks events with an empty 200 before listeners run, 400 for a signed
 *   non-JSON body, 404 for other paths. `app.start({port, host})` resolves with the `http.Server`.
 * - Events are acked before listeners run (`App.processEvent`), in both modes.
 */
import { parseListenAddress } from '../../listen.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type SocketModeReceiver, type Logger as SlackLogger } from '@slack/bolt';
import type { Clock } from '../../../clock.js';
import type { SlackChannelConfig } from '../../../config/schema.js';
import type { Logger } from '../../../log.js';
import type { BotIdentity } from '../inbound/event.js';
import type { OwnSlackIdentity } from '../inbound/identity-guard.js';
import { classifySlackError } from './call.js';
import { slackClientOptions } from './client.js';
import { httpReceiver, socketModeReceiver } from './receiver.js';

export interface SlackAppOptions {
  config: SlackChannelConfig;
  identity: BotIdentity & OwnSlackIdentity;
  /** Bolt's logger (./logger.ts). */
  logger: SlackLogger;
  /** The channel's logger, for the inbound seam's log lines. */
  log: Logger;
  clock: Clock;
}

export interface SlackApp {
  app: App;
  /** Socket Mode: the receiver's SocketModeClient (Bolt's public `SocketModeReceiver.client`), for its connection state. */
  socketClient?: SocketModeReceiver['client'];
}

/** Builds (does not start) the App for `config.mode`, its receiver gated by ../inbound/gate.ts (./receiver.ts). */
export function createSlackApp(opts: SlackAppOptions): SlackApp {
  const { config, identity, logger } = opts;
  const base = {
    token: config.botToken,
    botId: identity.botId,
    botUserId: identity.userId,
    logger,
    clientOptions: slackClientOptions({ ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}), logger }),
    // No per-conversation state store: nothing here uses Bolt's conversation context.
    convoStore: false as const,
  };
  const own: OwnSlackIdentity = {
    ...(identity.teamId !== undefined ? { teamId: identity.teamId } : {}),
    ...(identity.enterpriseId !== undefined ? { enterpriseId: identity.enterpriseId } : {}),
    ...(identity.appId !== undefined ? { appId: identity.appId } : {}),
  };
  const receiverOpts = { config, own, sdkLogger: logger, logger: opts.log, clock: opts.clock };
  if (config.mode === 'socket') {
    const receiver = socketModeReceiver(receiverOpts);
    return { app: new App({ ...base, receiver }), socketClient: receiver.inner.client };
  }
  return { app: new App({ ...base, receiver: httpReceiver(receiverOpts) }) };
}

/**
 * Starts the App: Socket Mode connects; HTTP mode listens on `config.listen`.
 * @returns the bound port in HTTP mode.
 * @throws Error naming the channel: app-level token rejected, Slack unreachable, or the port taken.
 */
export async function startSlackApp(app: App, config: SlackChannelConfig): Promise<{ port?: number }> {
  if (config.mode === 'socket') {
    try {
      await app.start();
    } catch (err) {
      // Bolt's own apps.connections.open, not a callSlack call: the same classification.
      const f = classifySlackError(err);
      if (f.kind === 'auth') {
        throw new Error(
          `slack channel "${config.id}": Slack rejected the app-level token (apps.connections.open: ${f.code}); ` +
            'check channels[].appToken (an xapp-… token with the connections:write scope) and that Socket Mode is enabled for the app',
          { cause: err },
        );
      }
      throw new Error(`slack channel "${config.id}": could not open the Socket Mode connection (${f.code}: ${f.detail})`, { cause: err });
    }
    return {};
  }
  const { host, port } = parseListenAddress(config.listen);
  let server: Server;
  try {
    server = (await app.start({ port, host })) as Server;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new Error(`slack channel "${config.id}" cannot listen on ${config.listen}: ${why}; set another channels[].listen`, { cause: err });
  }
  return { port: (server.address() as AddressInfo).port };
}
