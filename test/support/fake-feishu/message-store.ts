/** The fake's state: messages (received and sent), reactions, and downloadable resources. */
import { newReactionId } from './ids.js';
import type { StoredMessage, StoredReaction } from './types.js';

export interface StoredResource {
  bytes: Buffer;
  contentType: string;
  fileName?: string;
  /** If set, the `type` query parameter must equal it. */
  type?: 'image' | 'file';
}

const nowMs = (): string => String(Date.now());

export class MessageStore {
  private readonly messages = new Map<string, StoredMessage>();
  private readonly withdrawn = new Set<string>();
  private readonly reactions = new Map<string, StoredReaction>();
  private readonly resources = new Map<string, StoredResource>();
  /** Bot messages in the order they were sent. */
  readonly sent: StoredMessage[] = [];

  upsert(message: Omit<StoredMessage, 'create_time' | 'update_time' | 'deleted' | 'updated'> & Partial<StoredMessage>): StoredMessage {
    const prev = this.messages.get(message.message_id);
    const stored: StoredMessage = {
      create_time: prev?.create_time ?? nowMs(),
      update_time: nowMs(),
      deleted: false,
      updated: false,
      ...prev,
      ...message,
    };
    this.messages.set(stored.message_id, stored);
    return stored;
  }

  recordSent(message: StoredMessage): void {
    this.sent.push(message);
  }

  get(messageId: string): StoredMessage | undefined {
    return this.messages.get(messageId);
  }

  /** Marks a message withdrawn (recalled): later replies/reactions to it fail with 230011. */
  withdraw(messageId: string): void {
    this.withdrawn.add(messageId);
    const m = this.messages.get(messageId);
    if (m) m.deleted = true;
  }

  isWithdrawn(messageId: string): boolean {
    return this.withdrawn.has(messageId);
  }

  addReaction(messageId: string, emojiType: string, operatorId: string): StoredReaction {
    const r: StoredReaction = {
      reaction_id: newReactionId(),
      message_id: messageId,
      emoji_type: emojiType,
      operator_id: operatorId,
      action_time: nowMs(),
    };
    this.reactions.set(r.reaction_id, r);
    return r;
  }

  removeReaction(messageId: string, reactionId: string): StoredReaction | undefined {
    const r = this.reactions.get(reactionId);
    if (!r || r.message_id !== messageId) return undefined;
    this.reactions.delete(reactionId);
    return r;
  }

  /** Current reactions on a message. */
  reactionsOn(messageId: string): StoredReaction[] {
    return [...this.reactions.values()].filter((r) => r.message_id === messageId);
  }

  addResource(messageId: string, fileKey: string, resource: StoredResource): void {
    this.resources.set(`${messageId}\u0000${fileKey}`, resource);
  }

  resource(messageId: string, fileKey: string): StoredResource | undefined {
    return this.resources.get(`${messageId}\u0000${fileKey}`);
  }
}
