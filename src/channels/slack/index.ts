/**
 * The Slack channel adapter: Bolt (Socket Mode or HTTP Events API) for inbound events, the Web API
 * for replies and progress reactions.
 *
 * - start(): `auth.test` (bot identity), then the App connects (Socket Mode) or listens (HTTP).
 *   A rejected token or an unusable listen address makes start() throw an Error naming the
 *   channel id, so the service fails at startup instead of running deaf.
 * - Inbound: every payload passes the inbound seam first (./inbound/gate.ts: shape, own
 *   workspace and app, non-event callbacks acked; HTTP: the two-sided 5-minute timestamp window,
 *   ./api/receiver.ts). `app_mention` and `message` events → InboundMessage (./inbound); access lists,
 *   requireMention, the `stop` / `status` commands and the notice for a message that could not be
 *   queued are the service's business (AccessGate, src/dispatch/not-queued.ts).
 * - send(): Markdown → mrkdwn parts, threaded, idempotent per key (./outbound/send.ts).
 * - setProgress(): reactions on the source message when `progress.enabled` (./outbound/progress.ts).
 * - connection(): Socket Mode: the live state of the SocketModeClient (./api/connection.ts), so a
 *   dropped WebSocket shows as `reconnecting` until Slack's `hello` on the new one; HTTP mode:
 *   `connected` while the receiver listens.
 * - live: streamed answers with a Stop button (./outbound/live.ts); presses via ./inbound/actions.ts.
 * - prompts: approvals and questions as Block Kit messages with answer buttons (./outbound/prompt.ts);
 *   presses via ./inbound/actions.ts, like Stop.
 * - Files attached to messages are not downloaded: their names and permalinks are appended to the
 *   text (`[file: name — permalink]`).
 */
import type { App } from '@slack/bolt';
import type { Clock } from '../../clock.js';
import type { SlackChannelConfig } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import type { ChannelAdapter, ChannelConnection, InboundHandler, InboundMessage, OutboundMessage, ProgressState, ReplyAddress, SendResult } from '../types.js';
import { createSlackApp, startSlackApp } from './api/app.js';
import { trackSocketModeConnection, type SocketModeConnection } from './api/connection.js';
import { StartStopGate } from '../lifecycle.js';
import { parseListenAddress, urlOf } from '../listen.js';
import { createSlackClient } from './api/client.js';
import { fetchBotIdentity, type SlackIdentity } from './api/identity.js';
import { createSlackLogger } from './api/logger.js';
import { createUserDirectory } from './api/users.js';
import { registerInboundListeners } from './inbound/listener.js';
import { SlackProgress } from './outbound/progress.js';
import { SlackSender } from './outbound/send.js';
import type { ActionHandler } from '../live.js';
import { registerActionListener } from './inbound/actions.js';
import { createLiveCall } from './outbound/live-api.js';
import { createSlackLive } from './outbound/live.js';
import { createSlackPrompts } from './outbound/prompt.js';

export interface SlackChannel extends ChannelAdapter {
  readonly type: 'slack';
  readonly mode: 'socket' | 'http';
  /** HTTP mode, once started: the Events API Request URL on the bound address (real port). */
  readonly eventsUrl: string | undefined;
  /** The bot's identity from `auth.test`, once started. */
  readonly identity: SlackIdentity | undefined;
}

export interface SlackChannelDeps {
  logger: Logger;
  clock: Clock;
}

/** Creates (does not start) the Slack channel described by `config`. */
export function createSlackChannel(config: SlackChannelConfig, deps: SlackChannelDeps): SlackChannel {
  const { clock } = deps;
  const logger = deps.logger.child({ component: 'slack-channel', channel: config.id });
  const sdkLogger = createSlackLogger(deps.logger.child({ component: 'slack-sdk', channel: config.id }));
  const client = createSlackClient(config.botToken, { ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}), logger: sdkLogger });
  const users = createUserDirectory({ client, clock, logger });
  const sender = new SlackSender({ client, logger });
  const progress = new SlackProgress({ client, logger, reactions: config.progress });
  const liveCall = createLiveCall(client, config.botToken, { ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}), logger: sdkLogger }, logger);
  const live = createSlackLive({ call: liveCall, sender, clock, logger, teamId: () => identity?.teamId });
  const prompts = createSlackPrompts({ client, logger });
  let onAction: ActionHandler | undefined;

  let app: App | undefined;
  let socket: SocketModeConnection | undefined;
  let identity: SlackIdentity | undefined;
  let boundPort: number | undefined;
  let onMessage: InboundHandler | undefined;
  const gate = new StartStopGate(`slack channel "${config.id}"`);

  async function deliver(msg: InboundMessage): Promise<void> {
    const handler = onMessage;
    if (!handler) {
      logger.debug({ conversation: msg.conversation, ts: msg.messageId }, 'slack message dropped: channel is stopping');
      return;
    }
    const result = await handler(msg);
    logger.debug({ conversation: msg.conversation, ts: msg.messageId, result: result.status }, 'slack message offered');
  }

  async function doStart(handler: InboundHandler): Promise<void> {
    const id = await fetchBotIdentity({ client, logger }, config.id);
    const { app: a, socketClient } = createSlackApp({ config, identity: id, logger: sdkLogger, log: logger, clock });
    const tracked = socketClient
      ? trackSocketModeConnection(socketClient, (state, previous) => {
          // `disconnected` follows only our own stop() (the SDK reconnects by itself otherwise).
          if (previous === 'connected' && state !== 'disconnected') logger.warn({ state }, 'slack socket mode connection lost; the SDK reconnects');
          else if (state === 'connected' && previous === 'reconnecting') logger.info('slack socket mode connection re-established');
        })
      : undefined;
    // Last resort only: our listeners catch their own errors.
    a.error(async (err) => {
      logger.error({ err }, 'slack event processing failed');
    });
    registerInboundListeners(a, { channelId: config.id, bot: id, allowBots: config.allowBots, users, clock, logger, deliver });
    registerActionListener(a, { channelId: config.id, call: liveCall, logger, onAction: () => (onMessage ? onAction : undefined) });
    onMessage = handler;
    try {
      boundPort = (await startSlackApp(a, config)).port;
    } catch (err) {
      onMessage = undefined;
      await a.stop().catch(() => undefined);
      throw err;
    }
    app = a;
    socket = tracked;
    identity = id;
    logger.info(
      {
        mode: config.mode,
        botUserId: id.userId,
        botId: id.botId,
        teamId: id.teamId,
        appId: id.appId,
        ...(config.mode === 'http' ? { eventsUrl: eventsUrl() } : {}),
      },
      'slack channel started',
    );
  }

  async function doStop(): Promise<void> {
    onMessage = undefined;
    const a = app;
    app = undefined;
    socket = undefined;
    boundPort = undefined;
    if (a) {
      try {
        await a.stop();
      } catch (err) {
        logger.warn({ err }, 'slack app did not stop cleanly');
      }
      logger.info('slack channel stopped');
    }
  }

  function eventsUrl(): string | undefined {
    if (config.mode !== 'http' || boundPort === undefined) return undefined;
    return urlOf(parseListenAddress(config.listen).host, boundPort, config.path);
  }

  return {
    id: config.id,
    type: 'slack',
    mode: config.mode,

    get eventsUrl(): string | undefined {
      return eventsUrl();
    },

    get identity(): SlackIdentity | undefined {
      return identity;
    },

    live,

    prompts,

    start(handler: InboundHandler, actions?: ActionHandler): Promise<void> {
      return gate.start(app !== undefined, () => {
        onAction = actions;
        return doStart(handler);
      });
    },

    stop(): Promise<void> {
      return gate.stop(doStop);
    },

    send(to: ReplyAddress, message: OutboundMessage): Promise<SendResult> {
      return sender.send(to, message);
    },

    async setProgress(to: ReplyAddress, state: ProgressState): Promise<void> {
      if (!config.progress.enabled) return;
      await progress.set(to, state);
    },

    connection(): ChannelConnection {
      if (!app) return 'disconnected';
      return socket ? socket.state() : 'connected';
    },
  };
}
