/**
 * Router: (channel id, conversation) → dispatcher id, from config bindings.
 * An exact conversation binding wins over a channel-wide (`*`) one; unbound
 * conversations go to `routing.defaultDispatcher` or nowhere.
 */
import type { Config } from '../config/schema.js';

export class Router {
  private readonly exact = new Map<string, string>();
  private readonly wildcard = new Map<string, string>();

  constructor(private readonly config: Pick<Config, 'dispatchers' | 'routing'>) {
    for (const d of config.dispatchers) {
      for (const b of d.bindings) {
        if (b.conversation === '*') this.wildcard.set(b.channel, d.id);
        else this.exact.set(`${b.channel}\u0000${b.conversation}`, d.id);
      }
    }
  }

  /** The dispatcher for a conversation, or null when nothing is bound and there is no default. */
  resolve(channelId: string, conversation: string): string | null {
    return (
      this.exact.get(`${channelId}\u0000${conversation}`) ??
      this.wildcard.get(channelId) ??
      this.config.routing.defaultDispatcher ??
      null
    );
  }
}
