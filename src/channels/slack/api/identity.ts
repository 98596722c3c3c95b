/**
 * The bot's identity from `auth.test` (api.slack.com/methods/auth.test: `user_id` is the bot user,
 * `bot_id` the bot), learnt once when the channel starts.
 */
import type { BotIdentity } from '../inbound/event.js';
import { AUTH_ERRORS, classifySlackError, type SlackWebClient } from './client.js';

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
export async function fetchBotIdentity(client: SlackWebClient, channelId: string): Promise<SlackIdentity> {
  let res: Awaited<ReturnType<SlackWebClient['auth']['test']>>;
  try {
    res = await client.auth.test();
  } catch (err) {
    const f = classifySlackError(err);
    if (AUTH_ERRORS.has(f.error)) {
      throw new Error(
        `slack channel "${channelId}": Slack rejected the bot token (auth.test: ${f.error}); ` +
          'check channels[].botToken (the "Bot User OAuth Token", xoxb-…, of the installed app)',
        { cause: err },
      );
    }
    throw new Error(`slack channel "${channelId}": auth.test failed (${f.error}: ${f.detail})`, { cause: err });
  }
  if (!res.user_id || !res.bot_id) {
    throw new Error(`slack channel "${channelId}": auth.test did not return the bot's user_id and bot_id; is botToken a bot token (xoxb-…)?`);
  }
  const identity: SlackIdentity = { userId: res.user_id, botId: res.bot_id };
  if (res.team_id) identity.teamId = res.team_id;
  if (res.url) identity.url = res.url;
  return identity;
}
