/**
 * The bot's identity from `auth.test` (api.slack.com/methods/auth.test: `user_id` is the bot user,
 * `bot_id` the bot), learnt once when the channel starts.
 */
import type { BotIdentity } from '../inbound/event.js';
import { callSlack, type SlackCallContext } from './call.js';

export interface SlackIdentity extends BotIdentity {
  teamId?: string;
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
  if (res.url) identity.url = res.url;
  return identity;
}
