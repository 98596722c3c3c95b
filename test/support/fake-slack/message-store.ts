/**
 * What the fake remembers about conversations: messages (posted by the bot, seeded by tests, or seen
 * in delivered events) and reactions. Enough for chat.update, reactions.* and conversations.replies.
 */
import { compareTs } from './ts-clock.js';
import type { StoredMessage } from './types.js';

export class MessageStore {
  private readonly byChannel = new Map<string, Map<string, StoredMessage>>();
  /** `${channel} ${ts}` → reaction name → users who reacted. */
  private readonly reactionIndex = new Map<string, Map<string, Set<string>>>();

  upsert(message: StoredMessage): StoredMessage {
    let channel = this.byChannel.get(message.channel);
    if (!channel) {
      channel = new Map();
      this.byChannel.set(message.channel, channel);
    }
    const merged = { ...channel.get(message.ts), ...message };
    channel.set(message.ts, merged);
    return merged;
  }

  get(channel: string, ts: string): StoredMessage | undefined {
    return this.byChannel.get(channel)?.get(ts);
  }

  delete(channel: string, ts: string): boolean {
    return this.byChannel.get(channel)?.delete(ts) ?? false;
  }

  /** All messages of a channel, oldest first. */
  list(channel: string): StoredMessage[] {
    return [...(this.byChannel.get(channel)?.values() ?? [])].sort((a, b) => compareTs(a.ts, b.ts));
  }

  /**
   * The thread `ts` belongs to: its parent (with reply_count / reply_users / latest_reply when it has
   * replies) followed by the replies, oldest first. Undefined when the fake knows no such message.
   */
  thread(channel: string, ts: string): StoredMessage[] | undefined {
    const start = this.get(channel, ts);
    const rootTs = start?.thread_ts ?? ts;
    const root = this.get(channel, rootTs);
    const replies = this.list(channel).filter((m) => m.thread_ts === rootTs && m.ts !== rootTs);
    if (!root && replies.length === 0) return undefined;
    const head: StoredMessage[] = [];
    if (root) {
      head.push(
        replies.length === 0
          ? root
          : {
              ...root,
              thread_ts: rootTs,
              reply_count: replies.length,
              reply_users: [...new Set(replies.map((r) => r.user ?? r.bot_id).filter(Boolean))],
              latest_reply: replies[replies.length - 1]?.ts,
            },
      );
    }
    return [...head, ...replies];
  }

  /** Adds a reaction; false when `user` already reacted with `name`. */
  addReaction(channel: string, ts: string, name: string, user: string): boolean {
    const key = `${channel} ${ts}`;
    let byName = this.reactionIndex.get(key);
    if (!byName) {
      byName = new Map();
      this.reactionIndex.set(key, byName);
    }
    const users = byName.get(name) ?? new Set<string>();
    if (users.has(user)) return false;
    users.add(user);
    byName.set(name, users);
    return true;
  }

  /** Removes a reaction; false when there was none from `user`. */
  removeReaction(channel: string, ts: string, name: string, user: string): boolean {
    const byName = this.reactionIndex.get(`${channel} ${ts}`);
    const users = byName?.get(name);
    if (!users?.delete(user)) return false;
    if (users.size === 0) byName?.delete(name);
    return true;
  }

  /** Reaction name → users, for one message. */
  reactions(channel: string, ts: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [name, users] of this.reactionIndex.get(`${channel} ${ts}`) ?? []) out[name] = [...users];
    return out;
  }
}
