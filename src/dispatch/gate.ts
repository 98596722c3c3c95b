/**
 * AccessGate: decides what an inbound chat message is before it reaches a
 * dispatcher — ignored (not allowed, no mention, unbound), an operator command
 * (`stop`, `status`), or a turn. Platform-neutral: adapters report who wrote,
 * where, whether it was a direct message and whether it mentioned the bot.
 */
import type { InboundMessage } from '../channels/types.js';
import type { AccessConfig } from '../config/schema.js';
import type { Router } from './router.js';

export type Command = 'stop' | 'status';

/** What the gate decided for one message, tagged by `status`. */
export type GateDecision =
  | { status: 'ignore'; reason: 'user_not_allowed' | 'conversation_not_allowed' | 'no_mention' | 'unrouted' }
  | { status: 'command'; command: Command; dispatcherId: string; allowed: boolean }
  | { status: 'turn'; dispatcherId: string };

/** Per channel: access lists, and whether everyone counts as admin (the loopback web chat). */
export interface ChannelAccess {
  access?: AccessConfig;
  everyoneIsAdmin?: boolean;
}

/** `stop`, `/stop`, `status`, `/status` (any case, surrounding space ignored) → the command. */
export function parseCommand(text: string): Command | null {
  const m = /^\/?(stop|status)$/i.exec(text.trim());
  return m?.[1] ? (m[1].toLowerCase() as Command) : null;
}

/** Why a channel's access lists leave a message out. */
export type AccessRefusal = 'user_not_allowed' | 'conversation_not_allowed';

/**
 * The access-list rule on its own (pure): null when `access` admits the sender in the conversation
 * (an absent list admits everyone). `AccessGate.decide` applies it first; an adapter that must act
 * before the gate runs (Feishu downloads attachments while normalising) asks the same rule.
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
      const allowed = ch.everyoneIsAdmin === true || (access?.admins ?? []).includes(msg.sender.id);
      return { status: 'command', command, dispatcherId: route.dispatcherId, allowed };
    }
    return { status: 'turn', dispatcherId: route.dispatcherId };
  }
}
