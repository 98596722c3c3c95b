/**
 * The Feishu/Lark channel adapter on @larksuiteoapi/node-sdk: the long connection (`WSClient`,
 * default) or HTTP event subscription (our server + `EventDispatcher`) for inbound messages, the Open
 * API (`lark.Client`) for replies, reactions and downloads.
 *
 * - start(): `GET /open-apis/bot/v3/info` (the bot's open_id; proves the credentials), then the long
 *   connection is opened (waiting for the SDK's onReady) or the webhook server listens. A rejected
 *   secret, an unreachable platform or an unusable listen address makes start() throw an Error
 *   naming the channel, so the service fails at startup instead of running deaf.
 * - Inbound: `im.message.receive_v1` → InboundMessage (./inbound); the verification token is checked
 *   here (the SDK does not); re-delivered event ids are dropped. Senders (and card pressers) get
 *   their display name from the contact API, cached, within 1 s or not at all (./api/users.ts). Images/files become the message's
 *   `attachments`: the event is acknowledged as soon as the message is persisted, and the dispatcher
 *   then calls fetchAttachment(), which downloads into
 *   `<stateDir>/feishu/<channel id>/files/<message_id>/` (size- and time-limited, `files.maxBytes`,
 *   `files.downloadTimeoutMs`) and answers the line with the path. Only accepted messages get there,
 *   so nothing the AccessGate drops is downloaded. Access lists, requireMention, the `stop` /
 *   `status` commands and the notice for a message that could not be queued are the service's
 *   business (AccessGate, src/dispatch/not-queued.ts).
 * - send(): Markdown → `post` parts with an `md` element, replies to the source message, idempotent
 *   per key (./outbound/send.ts); setProgress(): reactions (./outbound/progress.ts).
 * - live: the answer streamed into a CardKit card with the plan, activity and a Stop button
 *   (./outbound/live.ts); presses arrive as `card.action.trigger` over either mode and are handed to
 *   start()'s ActionHandler, answered with a toast (./inbound/card-actions.ts).
 * - prompts: approvals / questions as an interactive card with one button per answer, patched when
 *   settled (./outbound/prompt.ts); presses take the Stop button's path.
 * - connection(): long connection: the SDK's live state (`reconnecting` after a drop until it is
 *   re-established; ./inbound/long-connection.ts); webhook: `connected` while the server listens.
 * - Every Open API call refreshes a rejected token once and waits out rate limits (./api/call.ts).
 */
import path from 'node:path';
import * as lark from '@larksuiteoapi/node-sdk';
import type { Clock } from '../../clock.js';
import type { FeishuChannelConfig } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import type { ActionHandler } from '../live.js';
import type {
  ChannelAdapter,
  ChannelConnection,
  InboundHandler,
  InboundMessage,
  OutboundMessage,
  PendingAttachment,
  ProgressState,
  ReplyAddress,
  SendResult,
} from '../types.js';
import { attachmentLabel } from '../attachments.js';
import type { CallContext } from './api/call.js';
import { createFeishuClient } from './api/client.js';
import { fetchBotIdentity, type FeishuBotIdentity } from './api/identity.js';
import { FeishuUserNames } from './api/users.js';
import { createLarkLogger, SDK_LOGGER_LEVEL } from './api/logger.js';
import { downloadResource } from './api/resources.js';
import { RecentIds } from './inbound/dedup.js';
import { createCardActionHandler } from './inbound/card-actions.js';
import { ChannelStoppingError, createReceiveHandler } from './inbound/handler.js';
import { longConnectionState, startLongConnection } from './inbound/long-connection.js';
import { startWebhook, type RunningWebhook } from './inbound/webhook.js';
import { StartStopGate } from '../lifecycle.js';
import { parseListenAddress, urlOf } from '../listen.js';
import { FeishuLive } from './outbound/live.js';
import { FeishuProgress } from './outbound/progress.js';
import { FeishuPrompts } from './outbound/prompt.js';
import { FeishuSender } from './outbound/send.js';

export interface FeishuChannel extends ChannelAdapter {
  readonly type: 'feishu';
  readonly mode: 'websocket' | 'webhook';
  /** Webhook mode, once started: the event Request URL on the bound address (real port). */
  readonly eventsUrl: string | undefined;
  /** The bot's identity from bot/v3/info, once started. */
  readonly identity: FeishuBotIdentity | undefined;
  /** Where images and files of received messages are downloaded. */
  readonly filesDir: string;
}

export interface FeishuChannelDeps {
  logger: Logger;
  /** Absolute state directory; downloads go to `<stateDir>/feishu/<channel id>/files/`. */
  stateDir: string;
  clock: Clock;
  /** Overrides the 30 s budget for waiting out rate limits per call (tests). */
  retryBudgetMs?: number;
  /** Overrides the 20 s wait for the first long connection (tests). */
  connectTimeoutMs?: number;
}

/** Creates (does not start) the Feishu channel described by `config`. */
export function createFeishuChannel(config: FeishuChannelConfig, deps: FeishuChannelDeps): FeishuChannel {
  const { clock } = deps;
  const logger = deps.logger.child({ component: 'feishu-channel', channel: config.id });
  const sdkLogger = deps.logger.child({ component: 'feishu-sdk', channel: config.id });
  const secrets = [config.appSecret, config.verificationToken, config.encryptKey].filter((s): s is string => s !== undefined);
  const { client, cache } = createFeishuClient({ appId: config.appId, appSecret: config.appSecret, domain: config.domain, logger: sdkLogger, secrets });
  const ctx: CallContext = { cache, clock, logger, ...(deps.retryBudgetMs !== undefined ? { retryBudgetMs: deps.retryBudgetMs } : {}) };
  const sender = new FeishuSender({ client, ctx, logger });
  const progress = new FeishuProgress({ client, ctx, logger, reactions: config.progress });
  const live = new FeishuLive({ client, ctx, logger });
  const prompts = new FeishuPrompts({ client, ctx, logger });
  const userNames = new FeishuUserNames({ client, ctx, clock });
  const names = (openId: string): Promise<string | undefined> => userNames.name(openId);
  const filesDir = path.join(deps.stateDir, 'feishu', config.id, 'files');
  const seen = new RecentIds();

  let identity: FeishuBotIdentity | undefined;
  let ws: lark.WSClient | undefined;
  let webhook: RunningWebhook | undefined;
  let onMessage: InboundHandler | undefined;
  let onAction: ActionHandler | undefined;
  let running = false;
  const gate = new StartStopGate(`feishu channel "${config.id}"`);

  async function deliver(msg: InboundMessage): Promise<void> {
    const handler = onMessage;
    if (!handler) throw new ChannelStoppingError();
    const result = await handler(msg);
    logger.debug({ conversation: msg.conversation, messageId: msg.messageId, result: result.status }, 'feishu message offered');
  }

  /** The channel's fetchAttachment(): downloads one attachment; the line the agent sees. Never rejects. */
  async function fetchAttachment(of: ReplyAddress, a: PendingAttachment): Promise<string> {
    const label = attachmentLabel(a);
    if (!config.files.download) return `[${label} attached; downloads are turned off for this channel]`;
    const res = await downloadResource(client, ctx, {
      messageId: of.messageId,
      key: a.key,
      type: a.kind,
      dir: filesDir,
      ...(a.name !== undefined ? { fileName: a.name } : {}),
      maxBytes: config.files.maxBytes,
      timeoutMs: config.files.downloadTimeoutMs,
    });
    if (res.ok) {
      logger.debug({ messageId: of.messageId, type: a.kind, bytes: res.bytes }, 'feishu resource downloaded');
      return `[${label}: ${res.path}]`;
    }
    if (res.reason === 'too_large') {
      logger.info(
        { messageId: of.messageId, type: a.kind, bytes: res.bytes, limit: config.files.maxBytes },
        'feishu resource over the size limit; not downloaded',
      );
      const size = res.bytes !== undefined ? `${formatBytes(res.bytes)}, ` : '';
      return `[${label} not downloaded: ${size}over the ${formatBytes(config.files.maxBytes)} limit]`;
    }
    logger.warn({ messageId: of.messageId, type: a.kind, err: res.error }, 'feishu resource download failed');
    return `[${label} could not be downloaded: ${res.error}]`;
  }

  async function doStart(handler: InboundHandler, actionHandler: ActionHandler | undefined): Promise<void> {
    const id = await fetchBotIdentity(client, ctx, config.id);
    const receive = createReceiveHandler({
      channelId: config.id,
      appId: config.appId,
      ...(config.verificationToken !== undefined ? { verificationToken: config.verificationToken } : {}),
      botOpenId: id.openId,
      seen,
      names,
      clock,
      logger,
      deliver,
    });
    const cardAction = createCardActionHandler({ channelId: config.id, appId: config.appId, handler: () => onAction, names, clock, logger });
    const dispatcher = new lark.EventDispatcher({
      ...(config.verificationToken !== undefined ? { verificationToken: config.verificationToken } : {}),
      ...(config.encryptKey !== undefined ? { encryptKey: config.encryptKey } : {}),
      logger: createLarkLogger(sdkLogger, secrets),
      loggerLevel: SDK_LOGGER_LEVEL,
    }).register({
      'im.message.receive_v1': async (data: unknown) => {
        await receive(data);
      },
      'card.action.trigger': (data: unknown) => cardAction(data),
    });
    identity = id;
    onMessage = handler;
    onAction = actionHandler;
    try {
      if (config.mode === 'websocket') {
        ws = await startLongConnection({
          channelId: config.id,
          appId: config.appId,
          appSecret: config.appSecret,
          domain: config.domain,
          dispatcher,
          logger,
          sdkLogger,
          secrets,
          clock,
          ...(deps.connectTimeoutMs !== undefined ? { timeoutMs: deps.connectTimeoutMs } : {}),
        });
      } else {
        if (config.encryptKey === undefined) {
          logger.warn('feishu webhook runs without an encryptKey: requests are not signed, only the verification token protects the endpoint');
        }
        webhook = await startWebhook({
          channelId: config.id,
          listen: config.listen,
          path: config.path,
          verificationToken: config.verificationToken ?? '',
          ...(config.encryptKey !== undefined ? { encryptKey: config.encryptKey } : {}),
          dispatcher,
          clock,
          logger,
        });
      }
    } catch (err) {
      onMessage = undefined;
      onAction = undefined;
      throw err;
    }
    running = true;
    logger.info(
      { mode: config.mode, domain: config.domain, botOpenId: id.openId, ...(config.mode === 'webhook' ? { eventsUrl: eventsUrl() } : {}) },
      'feishu channel started',
    );
  }

  async function doStop(): Promise<void> {
    onMessage = undefined;
    onAction = undefined;
    const socket = ws;
    const server = webhook;
    ws = undefined;
    webhook = undefined;
    const wasRunning = running;
    running = false;
    socket?.close({ force: true });
    await server?.close();
    if (wasRunning) logger.info('feishu channel stopped');
  }

  function eventsUrl(): string | undefined {
    if (config.mode !== 'webhook' || !webhook) return undefined;
    return urlOf(parseListenAddress(config.listen).host, webhook.port, config.path);
  }

  return {
    id: config.id,
    type: 'feishu',
    mode: config.mode,
    filesDir,
    live,
    prompts,

    get eventsUrl(): string | undefined {
      return eventsUrl();
    },

    get identity(): FeishuBotIdentity | undefined {
      return identity;
    },

    start(handler: InboundHandler, actionHandler?: ActionHandler): Promise<void> {
      return gate.start(running, () => doStart(handler, actionHandler));
    },

    stop(): Promise<void> {
      return gate.stop(doStop);
    },

    send(to: ReplyAddress, message: OutboundMessage): Promise<SendResult> {
      return sender.send(to, message);
    },

    fetchAttachment,

    async setProgress(to: ReplyAddress, state: ProgressState): Promise<void> {
      if (!config.progress.enabled) return;
      await progress.set(to, state);
    },

    connection(): ChannelConnection {
      if (!running) return 'disconnected';
      return ws ? longConnectionState(ws) : 'connected';
    },
  };
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KB`;
  return `${n} bytes`;
}
