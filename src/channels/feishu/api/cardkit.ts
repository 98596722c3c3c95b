/**
 * CardKit (`cardkit.v1`) card entities and `im.v1.message.patch`, through {@link callFeishu}
 * (results, never throws).
 *
 * Feishu facts (open.feishu.cn / open.larksuite.com docs "cardkit-v1": card/create, card/settings,
 * card/update, card-element/content, card-element/update, card-element/delete; "流式更新卡片"
 * streaming-updates-openapi-overview; im-v1 message/patch; SDK 1.74 `client.cardkit.v1.*`):
 * - create: `POST /open-apis/cardkit/v1/cards` `{type: "card_json", data: <card JSON 2.0 string>}` →
 *   `data.card_id`. Needs the `cardkit:card:write` scope (an app without it is refused, e.g. 99991672).
 *   A card entity can be sent once, by the app that created it, and lives 14 days.
 * - Every operation on a card carries `sequence` (int32, 1 … 2147483647) that must be strictly
 *   greater than the previous operation's on the same card (any operation: settings, update, element
 *   content/update/delete); otherwise 300317.
 * - content: `PUT …/cards/:card_id/elements/:element_id/content` `{content, sequence}` — the element's
 *   full text; when the old text is a prefix of the new one the client types the rest out
 *   (typewriter), otherwise it shows the new text at once. Only in streaming mode.
 * - settings: `PATCH …/cards/:card_id/settings` `{settings: JSON string of {config: …}, sequence}`;
 *   `{"config":{"streaming_mode":false}}` ends streaming (the chat preview leaves "[生成中...]").
 *   Streaming mode also ends by itself 10 minutes after it was turned on.
 * - update: `PUT …/cards/:card_id` `{card: {type: "card_json", data}, sequence}` replaces the card.
 * - Cards over 30 KB are refused (200860).
 * - patch: `PATCH /open-apis/im/v1/messages/:message_id` `{content: card JSON string}` edits a card
 *   message the bot sent (a shared card: `config.update_multi: true`).
 * None of these is retried on transient errors (a repeated content/update with a used sequence fails).
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { callFeishu, type ApiResult, type CallContext } from './call.js';

/** A card's JSON (schema 2.0), as we build it. */
export type CardJson = Record<string, unknown>;

export async function createCard(client: lark.Client, ctx: CallContext, card: CardJson): Promise<ApiResult<{ cardId: string }>> {
  const res = await callFeishu(ctx, 'cardkit.card.create', () => client.cardkit.v1.card.create({ data: { type: 'card_json', data: JSON.stringify(card) } }));
  if (!res.ok) return res;
  const cardId = res.value.data?.card_id ?? '';
  if (cardId === '') return { ok: false, kind: 'invalid', retryable: false, code: 'no_card_id', detail: 'no card_id in the answer' };
  return { ok: true, value: { cardId } };
}

export function streamElementContent(
  client: lark.Client,
  ctx: CallContext,
  args: { cardId: string; elementId: string; content: string; sequence: number },
): Promise<ApiResult<unknown>> {
  return callFeishu(ctx, 'cardkit.cardElement.content', () =>
    client.cardkit.v1.cardElement.content({
      path: { card_id: args.cardId, element_id: args.elementId },
      data: { content: args.content, sequence: args.sequence },
    }),
  );
}

export function cardSettings(
  client: lark.Client,
  ctx: CallContext,
  args: { cardId: string; settings: CardJson; sequence: number },
): Promise<ApiResult<unknown>> {
  return callFeishu(ctx, 'cardkit.card.settings', () =>
    client.cardkit.v1.card.settings({ path: { card_id: args.cardId }, data: { settings: JSON.stringify(args.settings), sequence: args.sequence } }),
  );
}

export function updateCard(client: lark.Client, ctx: CallContext, args: { cardId: string; card: CardJson; sequence: number }): Promise<ApiResult<unknown>> {
  return callFeishu(ctx, 'cardkit.card.update', () =>
    client.cardkit.v1.card.update({
      path: { card_id: args.cardId },
      data: { card: { type: 'card_json', data: JSON.stringify(args.card) }, sequence: args.sequence },
    }),
  );
}

export function updateCardElement(
  client: lark.Client,
  ctx: CallContext,
  args: { cardId: string; elementId: string; element: CardJson; sequence: number },
): Promise<ApiResult<unknown>> {
  return callFeishu(ctx, 'cardkit.cardElement.update', () =>
    client.cardkit.v1.cardElement.update({
      path: { card_id: args.cardId, element_id: args.elementId },
      data: { element: JSON.stringify(args.element), sequence: args.sequence },
    }),
  );
}

export function deleteCardElement(
  client: lark.Client,
  ctx: CallContext,
  args: { cardId: string; elementId: string; sequence: number },
): Promise<ApiResult<unknown>> {
  return callFeishu(ctx, 'cardkit.cardElement.delete', () =>
    client.cardkit.v1.cardElement.delete({ path: { card_id: args.cardId, element_id: args.elementId }, data: { sequence: args.sequence } }),
  );
}

export function patchCardMessage(client: lark.Client, ctx: CallContext, args: { messageId: string; card: CardJson }): Promise<ApiResult<unknown>> {
  return callFeishu(ctx, 'im.message.patch', () =>
    client.im.message.patch({ path: { message_id: args.messageId }, data: { content: JSON.stringify(args.card) } }),
  );
}
