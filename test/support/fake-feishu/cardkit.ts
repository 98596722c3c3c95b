/**
 * The fake's CardKit (`/open-apis/cardkit/v1/cards…`): card entities created from card JSON 2.0,
 * sent once as a message (`{"type":"card","data":{"card_id"}}`), streamed, re-configured, replaced,
 * element by element; plus the `card.action.trigger` callback body.
 *
 * Facts (open.feishu.cn / open.larksuite.com cardkit-v1 docs; "流式更新卡片"; "卡片回传交互"):
 * - every operation on a card carries `sequence`, strictly greater than the previous operation's on
 *   that card, else HTTP 400 code 300317; an unknown card is 200740; a card over 30 KB is 200860;
 *   invalid parameters 10002; an app without the `cardkit:card:write` scope gets 99991672.
 * - a card entity can be sent only once; cardElement.content needs streaming mode.
 *   The error codes for "sent twice", "not streaming" and "unknown element" are the fake's choice
 *   (300309 / 300310 / 300305); the docs do not name them plainly.
 */
import type { ApiRequest, ApiResult } from './open-api.js';
import type { RouteName } from './types.js';
import { newEventId } from './ids.js';
import type { EventContext, FeishuEvent } from './events.js';

const ok = (data: Record<string, unknown> = {}): ApiResult => ({ status: 200, json: { code: 0, msg: 'success', data } });
const fail = (code: number, msg: string): ApiResult => ({ status: 400, json: { code, msg, data: {} } });

export const CARD_LIMIT_BYTES = 30 * 1024;
export const SEQUENCE_ERROR = 300317;
export const CARDKIT_SCOPE_ERROR = 99991672;

export type CardOperation =
  | { op: 'create'; sequence: 0 }
  | { op: 'content'; sequence: number; elementId: string; content: string }
  | { op: 'settings'; sequence: number; settings: Record<string, any> }
  | { op: 'update'; sequence: number }
  | { op: 'element.update'; sequence: number; elementId: string }
  | { op: 'element.delete'; sequence: number; elementId: string };

export interface StoredCard {
  cardId: string;
  /** The card JSON now (elements edited in place). */
  card: Record<string, any>;
  /** Highest sequence used so far (0 before the first operation). */
  sequence: number;
  /** The message the card was sent as. */
  messageId?: string;
  /** Every accepted operation, in order. */
  operations: CardOperation[];
}

export class CardStore {
  private readonly cards = new Map<string, StoredCard>();
  private nextId = 7_300_000_000_000_000_000n;
  /** While false, card creation answers 99991672 (the app lacks the CardKit scope). */
  available = true;

  get(cardId: string): StoredCard | undefined {
    return this.cards.get(cardId);
  }

  all(): StoredCard[] {
    return [...this.cards.values()];
  }

  create(card: Record<string, any>): StoredCard {
    const cardId = String(this.nextId++);
    const stored: StoredCard = { cardId, card, sequence: 0, operations: [{ op: 'create', sequence: 0 }] };
    this.cards.set(cardId, stored);
    return stored;
  }

  /** The card a message content `{"type":"card","data":{"card_id"}}` refers to, or an error; undefined when the content is no card entity. */
  claim(content: unknown): { cardId: string } | ApiResult | undefined {
    if (typeof content !== 'string') return undefined;
    let parsed: any;
    try {
      parsed = JSON.parse(content);
    } catch {
      return undefined;
    }
    if (parsed?.type !== 'card') return undefined;
    const cardId = parsed?.data?.card_id;
    const card = typeof cardId === 'string' ? this.cards.get(cardId) : undefined;
    if (!card) return fail(200740, 'The card entity does not exist.');
    if (card.messageId !== undefined) return fail(300309, 'The card entity has already been sent.');
    return { cardId };
  }

  bind(cardId: string, messageId: string): void {
    const card = this.cards.get(cardId);
    if (card) card.messageId = messageId;
  }
}

export function isStreaming(card: StoredCard): boolean {
  return card.card.config?.streaming_mode === true;
}

/** Text of an element of the card now, by element_id. */
export function elementOf(card: StoredCard, elementId: string): Record<string, any> | undefined {
  return (card.card.body?.elements as Array<Record<string, any>> | undefined)?.find((e) => e.element_id === elementId);
}

function parseCard(data: unknown): Record<string, any> | ApiResult {
  if (typeof data !== 'string') return fail(10002, 'Your request contains an invalid request parameter, data must be a string.');
  if (Buffer.byteLength(data, 'utf8') > CARD_LIMIT_BYTES) return fail(200860, 'Card content exceeds limit.');
  let card: any;
  try {
    card = JSON.parse(data);
  } catch {
    return fail(200220, 'Failed to generate card content.');
  }
  if (typeof card !== 'object' || card === null || card.schema !== '2.0')
    return fail(10002, 'Your request contains an invalid request parameter, only card JSON 2.0 is supported.');
  if (card.config?.update_multi === false) return fail(300302, 'update_multi property is false');
  return card;
}

const isResult = (v: unknown): v is ApiResult => typeof v === 'object' && v !== null && 'status' in v && 'json' in v;

/** The card and a valid next sequence for an operation, or the error to answer. */
function operand(store: CardStore, req: ApiRequest): { card: StoredCard; sequence: number } | ApiResult {
  const card = store.get(req.params.card_id ?? '');
  if (!card) return fail(200740, 'The card entity does not exist.');
  const sequence = req.body?.sequence;
  if (typeof sequence !== 'number' || !Number.isInteger(sequence) || sequence < 1 || sequence > 2147483647) {
    return fail(10002, 'Your request contains an invalid request parameter, sequence must be a positive int32.');
  }
  if (sequence <= card.sequence) return fail(SEQUENCE_ERROR, 'The sequence number for operating on the card did not increment consecutively.');
  return { card, sequence };
}

type Handler = (req: ApiRequest, store: CardStore) => ApiResult;

export const CARDKIT_API: Partial<Record<RouteName, Handler>> = {
  'cardkit.card.create': (req, store) => {
    if (!store.available) return fail(CARDKIT_SCOPE_ERROR, 'Access denied. One of the following scopes is required: [cardkit:card:write].');
    if (req.body?.type !== 'card_json') return fail(10002, 'Your request contains an invalid request parameter, type must be card_json.');
    const card = parseCard(req.body?.data);
    if (isResult(card)) return card;
    return ok({ card_id: store.create(card).cardId });
  },

  'cardkit.card.settings': (req, store) => {
    const o = operand(store, req);
    if (isResult(o)) return o;
    let settings: any;
    try {
      settings = JSON.parse(String(req.body?.settings));
    } catch {
      return fail(10002, 'Your request contains an invalid request parameter, settings is not JSON.');
    }
    o.card.card.config = { ...o.card.card.config, ...settings?.config };
    o.card.sequence = o.sequence;
    o.card.operations.push({ op: 'settings', sequence: o.sequence, settings });
    return ok();
  },

  'cardkit.card.update': (req, store) => {
    const o = operand(store, req);
    if (isResult(o)) return o;
    if (req.body?.card?.type !== 'card_json') return fail(10002, 'Your request contains an invalid request parameter, card.type must be card_json.');
    const card = parseCard(req.body.card.data);
    if (isResult(card)) return card;
    o.card.card = card;
    o.card.sequence = o.sequence;
    o.card.operations.push({ op: 'update', sequence: o.sequence });
    return ok();
  },

  'cardkit.cardElement.content': (req, store) => {
    const o = operand(store, req);
    if (isResult(o)) return o;
    const elementId = req.params.element_id ?? '';
    const el = elementOf(o.card, elementId);
    if (!el) return fail(300305, 'The element does not exist.');
    if (!isStreaming(o.card)) return fail(300310, 'The card is not in streaming mode.');
    const content = req.body?.content;
    if (typeof content !== 'string') return fail(10002, 'Your request contains an invalid request parameter, content must be a string.');
    el.content = content;
    o.card.sequence = o.sequence;
    o.card.operations.push({ op: 'content', sequence: o.sequence, elementId, content });
    return ok();
  },

  'cardkit.cardElement.update': (req, store) => {
    const o = operand(store, req);
    if (isResult(o)) return o;
    const elementId = req.params.element_id ?? '';
    const elements = o.card.card.body?.elements as Array<Record<string, any>> | undefined;
    const at = elements?.findIndex((e) => e.element_id === elementId) ?? -1;
    if (!elements || at < 0) return fail(300305, 'The element does not exist.');
    let element: any;
    try {
      element = JSON.parse(String(req.body?.element));
    } catch {
      return fail(10002, 'Your request contains an invalid request parameter, element is not JSON.');
    }
    elements[at] = element;
    o.card.sequence = o.sequence;
    o.card.operations.push({ op: 'element.update', sequence: o.sequence, elementId });
    return ok();
  },

  'cardkit.cardElement.delete': (req, store) => {
    const o = operand(store, req);
    if (isResult(o)) return o;
    const elementId = req.params.element_id ?? '';
    const elements = o.card.card.body?.elements as Array<Record<string, any>> | undefined;
    const at = elements?.findIndex((e) => e.element_id === elementId) ?? -1;
    if (!elements || at < 0) return fail(300305, 'The element does not exist.');
    elements.splice(at, 1);
    o.card.sequence = o.sequence;
    o.card.operations.push({ op: 'element.delete', sequence: o.sequence, elementId });
    return ok();
  },
};

export interface CardActionInput {
  /** Who pressed (open_id). */
  operatorOpenId: string;
  /** The button's callback value. */
  value: Record<string, unknown>;
  /** The card message and its chat. */
  messageId: string;
  chatId: string;
  eventId?: string;
}

/** A `card.action.trigger` callback body (schema 2.0) as Feishu sends it for a button press. */
export function cardActionTrigger(input: CardActionInput, ctx: EventContext): FeishuEvent {
  return {
    schema: '2.0',
    header: {
      event_id: input.eventId ?? newEventId(),
      event_type: 'card.action.trigger',
      create_time: String(Date.now() * 1000),
      token: ctx.token,
      app_id: ctx.appId,
      tenant_key: ctx.tenantKey,
    },
    event: {
      operator: { tenant_key: ctx.tenantKey, open_id: input.operatorOpenId, union_id: `on_${input.operatorOpenId.slice(3)}` },
      // The card's update token (it shadows header.token once the SDK flattens the body).
      token: `c-${newEventId().slice(0, 24)}`,
      action: { value: input.value, tag: 'button' },
      host: 'im_message',
      context: { open_message_id: input.messageId, open_chat_id: input.chatId },
    },
  };
}
