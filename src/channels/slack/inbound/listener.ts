/**
 * Bolt listeners for `app_mention` and `message` events: normalise, hand to the service, log.
 *
 * Bolt acks each event before listeners run (App.processEvent), so a slow lookup or enqueue never
 * delays the ack past Slack's 3 s deadline. Events reach these listeners only after the inbound
 * seam (./gate.ts) checked them against ./schema.ts `messageEventSchema`, so the fields read here
 * have the types `SlackMessageEvent` states. A listener never throws: errors are logged here and
 * Bolt's error handler (see ../index.ts) only logs as a last resort.
 */
import type { App } from '@slack/bolt';
import type { Clock } from '../../../clock.js';
import type { Logger } from '../../../log.js';
import type { InboundMessage } from '../../types.js';
import type { UserDirectory } from '../api/users.js';
import { normaliseEvent, type BotIdentity, type SlackMessageEvent } from './event.js';

export interface InboundListenerOptions {
  channelId: string;
  bot: BotIdentity;
  allowBots: boolean;
  users: UserDirectory;
  clock: Clock;
  logger: Logger;
  /** Hands a normalised message to the service (resolves after it was queued or refused). */
  deliver(message: InboundMessage): Promise<void>;
}

/** Registers the listeners on `app` (before it starts). */
export function registerInboundListeners(app: App, opts: InboundListenerOptions): void {
  const handle = async (event: SlackMessageEvent, retryNum: number | undefined): Promise<void> => {
    const where = { conversation: event.channel, ts: event.ts, event: event.type, ...(retryNum ? { retryNum } : {}) };
    try {
      const res = await normaliseEvent(event, {
        channelId: opts.channelId,
        bot: opts.bot,
        allowBots: opts.allowBots,
        users: (id) => opts.users.name(id),
        now: opts.clock.now(),
      });
      if (res.status === 'skip') {
        opts.logger.debug({ ...where, reason: res.reason, detail: res.detail }, 'slack event skipped');
        return;
      }
      opts.logger.debug({ ...where, text: res.message.text }, 'slack message received');
      await opts.deliver(res.message);
    } catch (err) {
      opts.logger.error({ ...where, err }, 'slack event handling failed');
    }
  };
  app.event('app_mention', async ({ event, context }) => {
    await handle(event as unknown as SlackMessageEvent, context.retryNum);
  });
  app.event('message', async ({ event, context }) => {
    await handle(event as unknown as SlackMessageEvent, context.retryNum);
  });
}
