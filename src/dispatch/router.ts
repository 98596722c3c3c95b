/**
 * Router: (channel id, conversation) → dispatcher, from config bindings.
 * An exact conversation binding wins over a channel-wide (`*`) one; unbound
 * conversations go to `routing.defaultDispatcher` (mention required) or nowhere.
 */
import type { BindingConfig, Config } from '../config/schema.js';

export interface Route {
  dispatcherId: string;
  /** Whether messages in shared conversations must mention the bot (from the binding). */
  requireMention: boolean;
  /** The binding's session scope and busy policy (the default dispatcher's route: `dispatcher`, `queue`). */
  session: BindingConfig['session'];
  busy: BindingConfig['busy'];
}

export class Router {
  private readonly exact = new Map<string, Route>();
  private readonly wildcard = new Map<string, Route>();

  constructor(private readonly config: Pick<Config, 'dispatchers' | 'routing'>) {
    for (const d of config.dispatchers) {
      for (const b of d.bindings) {
        const route: Route = { dispatcherId: d.id, requireMention: b.requireMention, session: b.session, busy: b.busy };
        if (b.conversation === '*') this.wildcard.set(b.channel, route);
        else this.exact.set(`${b.channel}\u0000${b.conversation}`, route);
      }
    }
  }

  /** The route for a conversation, or null when nothing is bound and there is no default. */
  route(channelId: string, conversation: string): Route | null {
    const bound = this.exact.get(`${channelId}\u0000${conversation}`) ?? this.wildcard.get(channelId);
    if (bound) return bound;
    const fallback = this.config.routing.defaultDispatcher;
    return fallback ? { dispatcherId: fallback, requireMention: true, session: 'dispatcher', busy: 'queue' } : null;
  }
}
