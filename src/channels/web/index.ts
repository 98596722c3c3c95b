/**
 * The built-in local web chat channel: an HTTP server with a small chat page,
 * a JSON API and Server-Sent Events, keeping history in the StateStore. Offers
 * live answers (./live.ts) and prompts with answer buttons (./prompt.ts), and hands
 * presses of their buttons (Stop, answers: `POST /api/actions`) to the ActionHandler
 * given to start().
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { WebChannelConfig } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import type { ReadinessSource } from '../../health/readiness.js';
import type { SessionInfoSource } from '../session-info.js';
import type { StateStore } from '../../state/types.js';
import type { ActionHandler, LiveReplies } from '../live.js';
import type { PromptMessages } from '../prompt.js';
import type { ChannelAdapter, InboundHandler, OutboundMessage, ProgressState, ReplyAddress, SendResult } from '../types.js';
import type { ActionRouteContext } from './api/actions.js';
import type { ApiContext } from './api/handlers.js';
import { describeListenError, startWebServer, type RunningServer } from './api/server.js';
import { StartStopGate } from '../lifecycle.js';
import { parseListenAddress, urlOf } from '../listen.js';
import { SseHub } from './api/sse.js';
import { WebAuth } from './inbound/auth.js';
import { isLoopbackHost } from '../../http/loopback.js';
import { WebChat } from './chat.js';
import { createWebLiveReplies } from './live.js';
import { createWebPrompts } from './prompt.js';

export type { WebLiveBubble, WebLiveEnd } from './live-bubbles.js';

/** The web channel adapter; `url` is the page address (the real bound port once started). */
export interface WebChannel extends ChannelAdapter {
  readonly type: 'web';
  readonly url: string;
  readonly live: LiveReplies;
  readonly prompts: PromptMessages;
}

export interface WebChannelDeps {
  store: StateStore;
  logger: Logger;
  clock: Clock;
  /** Readiness for `GET /readyz` (the service passes its own); absent: /readyz answers 503. */
  readiness?: ReadinessSource;
  /** The session of a conversation, for the page's header (the service passes its own). */
  sessionInfo?: SessionInfoSource;
}

/** Creates (does not start) the web channel described by `config`. */
export function createWebChannel(config: WebChannelConfig, deps: WebChannelDeps): WebChannel {
  const { clock } = deps;
  const logger = deps.logger.child({ component: 'web-channel', channel: config.id });
  const listen = parseListenAddress(config.listen);
  const hub = new SseHub({ clock, logger });
  const chat = new WebChat({
    channelId: config.id,
    historyLimit: config.historyLimit,
    store: deps.store,
    hub,
    logger,
  });

  let running: RunningServer | undefined;
  let onMessage: InboundHandler | undefined;
  let onAction: ActionHandler | undefined;
  const gate = new StartStopGate(`web channel "${config.id}"`);

  const ctx: ApiContext & ActionRouteContext = {
    channelId: config.id,
    maxTextBytes: config.maxTextBytes,
    logger,
    chat,
    hub,
    inbound: () => onMessage,
    action: () => onAction,
    now: () => clock.now(),
    newMessageId: () => `web-${randomUUID()}`,
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
    ...(deps.sessionInfo ? { sessionInfo: deps.sessionInfo } : {}),
    ...(config.auth ? { auth: new WebAuth(config.auth.token) } : {}),
  };

  async function doStop(): Promise<void> {
    onMessage = undefined;
    onAction = undefined;
    const server = running;
    running = undefined;
    hub.closeAll();
    if (server) {
      await server.close();
      logger.info('web chat stopped');
    }
  }

  return {
    id: config.id,
    type: 'web',

    get url(): string {
      return urlOf(listen.host, running?.port ?? listen.port);
    },

    live: createWebLiveReplies({ channelId: config.id, chat, now: () => clock.now(), logger }),

    prompts: createWebPrompts({ channelId: config.id, chat, now: () => clock.now(), logger }),

    start(handler: InboundHandler, actionHandler?: ActionHandler): Promise<void> {
      return gate.start(running !== undefined, async () => {
        const server = await startWebServer(ctx, listen, (err) => describeListenError(err, config.id, config.listen));
        running = server;
        onMessage = handler;
        onAction = actionHandler;
        const where = { url: urlOf(listen.host, server.port), listen: `${listen.host}:${server.port}`, auth: ctx.auth ? 'token' : 'none' };
        // The message stays one fixed string (tools wait for it); `reach` says who can connect.
        const reach = isLoopbackHost(listen.host) ? 'this machine only' : 'other machines too: access token required, sign in at /login';
        logger.info({ ...where, reach }, 'web chat listening');
      });
    },

    stop(): Promise<void> {
      return gate.stop(doStop);
    },

    send(to: ReplyAddress, message: OutboundMessage): Promise<SendResult> {
      return chat.send(to, message, clock.now());
    },

    async setProgress(to: ReplyAddress, state: ProgressState): Promise<void> {
      try {
        chat.setProgress(to.conversation, to.messageId, state);
      } catch (err) {
        logger.warn({ err, messageId: to.messageId }, 'web progress update failed');
      }
    },
  };
}
