/**
 * AccessGate: decides what an inbound chat message is before it reaches a
 * dispatcher — ignored (not allowed, no mention, unbound), a chat command
 * (`stop`, `status`, `new`/`reset`, `queue`, `cancel N`), or a turn. Whether the sender is an
 * admin of the channel is decided here; what each command lets a non-admin do is the dispatcher's. Platform-neutral: adapters report who wrote,
 * where, whether it was a direct message and whether it mentioned the bot.
 */
import type { InboundMessage } from '../channels/types.js';
import type { AccessConfig } from '../config/schema.js';
import type { Router } from './router.js';

/** A parsed chat command; `cancel` carries the 1-based position `queue` shows (null when missing). */
export type Command = { name: 'stop' } | { name: 'status' } | { name: 'new' } | { name: 'queue' } | { name: 'cancel'; position: number | null };

/** What the gate decided for one message, tagged by `status`. */
export type GateDecision =
  | { status: 'ignore'; reason: 'user_not_allowed' | 'conversation_not_allowed' | 'no_mention' | 'unrouted' }
  /** `admin`: the sender is an admin of the channel (everyone on the local web chat). */
  | { status: 'command'; command: Command; dispatcherId: string; admin: boolean }
  | { status: 'turn'; dispatcherId: string };

/** Per channel: access lists, and whether everyone counts as admin (the loopback web chat). */
export interface ChannelAccess {
  access?: AccessConfig;
  everyoneIsAdmin?: boolean;
}

/**
 * `stop`, `status`, `new`, `reset` (= `new`), `queue`, `cancel N` (`cancel #N` too), each with
 * or without a leading `/`, any case, surrounding space ignored → the command; anything else null.
 */
export function parseCommand(text: string): Command | null {
  const m = /^\/?(stop|status|new|reset|queue|cancel)(?:\s+#?(\d{1,6}))?$/i.exec(text.trim());
  const word = m?.[1]?.toLowerCase();
  if (!word) return null;
  const arg = m?.[2];
  if (word === 'cancel') return { name: 'cancel', position: arg === undefined ? null : Number(arg) };
  if (arg !== undefined) return null;
  if (word === 'reset' || word === 'new') return { name: 'new' };
  return { name: word as 'stop' | 'status' | 'queue' };
}

/** Why a channel's access lists leave a message out. */
export type AccessRefusal = 'user_not_allowed' | 'conversation_not_allowed';

/**
 * The access-list rule on its own (pure): null when `access` admits the sender in the conversation
 * (an absent list admits everyone). `AccessGate.decide` applies it first.
 */
export function accessRefusal(access: AccessConfig | undefined, who: { senderId: string; conversation: string }): AccessRefusal | null {
  if (access?.users && !access.users.includes(who.senderId)) return 'user_not_allowed';
  if (access?.conversations && !access.conversations.includes(who.conversation)) return 'conversation_not_allowed';
  return null;
}

export class AccessGate {
  constructor(
    private readonly router: Router,
    private readonly channels: ReadonlyMap<string, ChannelAccess>,
  ) {}

  decide(msg: InboundMessage): GateDecision {
    const ch = this.channels.get(msg.channelId) ?? {};
    const access = ch.access;
    const refused = accessRefusal(access, { senderId: msg.sender.id, conversation: msg.conversation });
    if (refused) return { status: 'ignore', reason: refused };
    const route = this.router.route(msg.channelId, msg.conversation);
    if (!route) return { status: 'ignore', reason: 'unrouted' };
    // In shared conversations only messages addressed to the bot count (unless the binding says otherwise).
    if (!msg.isDirect && !msg.mentionsBot && route.requireMention) return { status: 'ignore', reason: 'no_mention' };
    const command = parseCommand(msg.text);
    if (command) {
      const admin = ch.everyoneIsAdmin === true || (access?.admins ?? []).includes(msg.sender.id);
      return { status: 'command', command, dispatcherId: route.dispatcherId, admin };
    }
    return { status: 'turn', dispatcherId: route.dispatcherId };
  }
}
