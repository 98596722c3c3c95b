/**
 * Server-Sent Events fan-out per conversation, with keep-alive comments and
 * cleanup when a client goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../../clock.js';
import type { Logger } from '../../../log.js';

/** Default interval of keep-alive comments, ms. */
export const SSE_KEEP_ALIVE_MS = 15_000;
/** A client whose unsent output exceeds this many bytes is dropped (too slow). */
export const SSE_MAX_BUFFERED_BYTES = 1 << 20;

interface SseClient {
  conversation: string;
  res: ServerResponse;
  timer: { cancel(): void } | undefined;
  closed: boolean;
}

export interface SseHubOptions {
  clock: Clock;
  logger: Logger;
  keepAliveMs?: number;
}

/** Formats one SSE event; `data` is JSON (which never contains raw newlines). */
export function formatSseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class SseHub {
  private readonly byConversation = new Map<string, Set<SseClient>>();
  private readonly keepAliveMs: number;

  constructor(private readonly opts: SseHubOptions) {
    this.keepAliveMs = opts.keepAliveMs ?? SSE_KEEP_ALIVE_MS;
  }

  /** Turns `res` into an event stream for `conversation` until either side closes. */
  open(conversation: string, req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 3000\n: connected\n\n');
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);

    const client: SseClient = { conversation, res, timer: undefined, closed: false };
    let set = this.byConversation.get(conversation);
    if (!set) {
      set = new Set();
      this.byConversation.set(conversation, set);
    }
    set.add(client);
    this.scheduleKeepAlive(client);

    const onGone = (): void => this.drop(client);
    req.on('close', onGone);
    res.on('close', onGone);
    res.on('error', onGone);
  }

  /** Sends an event to every client of `conversation`. */
  broadcast(conversation: string, event: string, data: unknown): void {
    const set = this.byConversation.get(conversation);
    if (!set || set.size === 0) return;
    const frame = formatSseEvent(event, data);
    for (const client of [...set]) this.write(client, frame);
  }

  /** Number of open streams (of one conversation, or all). */
  size(conversation?: string): number {
    if (conversation !== undefined) return this.byConversation.get(conversation)?.size ?? 0;
    let n = 0;
    for (const set of this.byConversation.values()) n += set.size;
    return n;
  }

  /** Ends every stream. */
  closeAll(): void {
    for (const set of [...this.byConversation.values()]) {
      for (const client of [...set]) {
        this.drop(client);
        client.res.end();
      }
    }
  }

  private write(client: SseClient, frame: string): void {
    if (client.closed || client.res.writableEnded || client.res.destroyed) {
      this.drop(client);
      return;
    }
    if (client.res.writableLength > SSE_MAX_BUFFERED_BYTES) {
      this.opts.logger.warn({ conversation: client.conversation }, 'dropping a slow SSE client');
      this.drop(client);
      client.res.destroy();
      return;
    }
    client.res.write(frame);
  }

  private scheduleKeepAlive(client: SseClient): void {
    client.timer = this.opts.clock.setTimeout(() => {
      if (client.closed) return;
      this.write(client, ': keep-alive\n\n');
      if (!client.closed) this.scheduleKeepAlive(client);
    }, this.keepAliveMs);
  }

  private drop(client: SseClient): void {
    if (client.closed) return;
    client.closed = true;
    client.timer?.cancel();
    client.timer = undefined;
    const set = this.byConversation.get(client.conversation);
    set?.delete(client);
    if (set && set.size === 0) this.byConversation.delete(client.conversation);
  }
}
