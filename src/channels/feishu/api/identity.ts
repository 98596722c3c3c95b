/**
 * The bot's identity, learnt once when the channel starts: `GET /open-apis/bot/v3/info` →
 * `{code: 0, bot: {open_id, app_name, activate_status, …}}` (tenant token; the SDK has no typed
 * method for it, so `client.request`). The call also proves the app id/secret work.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { callFeishu, type CallContext } from './call.js';

export interface FeishuBotIdentity {
  /** The bot's open_id: what `mentions[].id.open_id` carries when someone @-mentions it. */
  openId: string;
  /** The app's name as users see it. */
  name?: string;
}

interface BotInfoAnswer {
  code?: number;
  msg?: string;
  bot?: { open_id?: string; app_name?: string };
}

/**
 * Calls bot/v3/info.
 * @throws Error naming the channel: credentials rejected (fix appId/appSecret), the platform
 *   unreachable, or an answer without `bot.open_id` (enable the app's bot capability).
 */
export async function fetchBotIdentity(client: lark.Client, ctx: CallContext, channelId: string): Promise<FeishuBotIdentity> {
  const res = await callFeishu(ctx, 'bot.info', () => client.request<BotInfoAnswer>({ url: '/open-apis/bot/v3/info', method: 'GET' }), {
    retryTransient: true,
  });
  if (!res.ok) {
    // App id/secret rejected (a tenant token still rejected after the refresh is `auth` too, but retryable).
    if (res.kind === 'auth' && !res.retryable) {
      throw new Error(
        `feishu channel "${channelId}": the app id/secret were rejected (${res.code}: ${res.detail}); ` +
          'check channels[].appId and channels[].appSecret (Developer Console → Credentials & Basic Info)',
      );
    }
    throw new Error(`feishu channel "${channelId}": bot/v3/info failed (${res.code}: ${res.detail})`);
  }
  const openId = res.value.bot?.open_id;
  if (!openId) {
    throw new Error(`feishu channel "${channelId}": bot/v3/info returned no bot open_id; enable the app's Bot capability and publish a version`);
  }
  const identity: FeishuBotIdentity = { openId };
  if (res.value.bot?.app_name) identity.name = res.value.bot.app_name;
  return identity;
}
