/**
 * The bot's identity from `auth.test` (api.slack.com/methods/auth.test: `user_id` is the bot user,
 * `bot_id` the bot, `team_id` the workspace, `enterprise_id` the Enterprise Grid org when there is
 * one; @slack/web-api's AuthTestResponse also types `app_id`, which bot tokens return), learnt once
 * when the channel starts. When `app_id` is missing it is read from `bots.info` (`bot.app_id`,
 * api.slack.com/methods/bots.info; needs `users:read`, which the user directory needs anyway);
 * failing that the inbound seam cannot check `api_app_id` (a warning says so).
 */
import type { BotIdentity } from '../inbound/event.js';
import { callSlack, type SlackCallContext } from './call.js';

export interface SlackIdentity extends BotIdentity {
  teamId?: string;
  /** Enterprise Grid org id (`E…`), when the workspace is in one. */
  enterpriseId?: string;
  /** The app id (`A…`): what `api_app_id` of our events says. */
  appId?: string;
  /** Workspace URL, e.g. `https://acme.slack.com/`. */
  url?: string;
}

/**
 * Calls `auth.test` with the bot token.
 * @throws Error naming the channel id: the token was rejected (`invalid_auth` etc.: fix
 *   `botToken`), Slack could not be reached, or the answer lacked the ids.
 */
export async function fetchBotIdentity(ctx: SlackCallContext, channelId: string): Promise<SlackIdentity> {
  const answer = await callSlack(ctx, 'auth.test', {});
  if (!answer.ok) {
    if (answer.kind === 'auth') {
      throw new Error(
        `slack channel "${channelId}": Slack rejected the bot token (auth.test: ${answer.code}); ` +
          'check channels[].botToken (the "Bot User OAuth Token", xoxb-…, of the installed app)',
      );
    }
    throw new Error(`slack channel "${channelId}": auth.test failed (${answer.code}: ${answer.detail})`);
  }
  const res = answer.value;
  if (!res.user_id || !res.bot_id) {
    throw new Error(`slack channel "${channelId}": auth.test did not return the bot's user_id and bot_id; is botToken a bot token (xoxb-…)?`);
  }
  const identity: SlackIdentity = { userId: res.user_id, botId: res.bot_id };
  if (res.team_id) identity.teamId = res.team_id;
  if (res.enterprise_id) identity.enterpriseId = res.enterprise_id;
  if (res.url) identity.url = res.url;
  const appId = res.app_id || (await appIdOfBot(ctx, res.bot_id));
  if (appId) identity.appId = appId;
  else ctx.logger.warn({ botId: res.bot_id }, 'slack app id unknown (auth.test and bots.info gave none): events for other apps cannot be told apart');
  return identity;
}

/** `bots.info` → `bot.app_id`, or undefined (the failure is logged by callSlack). */
async function appIdOfBot(ctx: SlackCallContext, botId: string): Promise<string | undefined> {
  const answer = await callSlack(ctx, 'bots.info', { bot: botId });
  return answer.ok ? answer.value.bot?.app_id || undefined : undefined;
}
