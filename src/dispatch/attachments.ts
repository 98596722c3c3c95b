/**
 * Fetching the attachments of accepted messages (src/channels/attachments.ts) off the platform's
 * acknowledgement path: the dispatcher starts it as soon as a message is queued (and, after a
 * restart, for every queued entry still carrying attachments), and its turn waits for it.
 *
 * Each attachment goes through its channel's `fetchAttachment` (bounded in time by the adapter;
 * the port never rejects, a rejection is still turned into a line saying so). The lines fill the
 * slots of the entry's text, which is then persisted with the attachments removed, so a re-run
 * (runtime restart, service restart) does not fetch again. A channel without the capability (e.g.
 * removed from the config since the message was queued) gives a line saying the attachment could
 * not be fetched; the turn still runs. After {@link AttachmentFetcher.stop} (the dispatcher stops)
 * nothing waits for a fetch any more and nothing is recorded: the entry keeps its attachments in
 * the store, and the next start fetches them again.
 */
import { attachmentLabel, fillAttachmentSlots, type PendingAttachment } from '../channels/attachments.js';
import type { ChannelAdapter, ReplyAddress } from '../channels/types.js';
import type { Logger } from '../log.js';
import type { QueuedMessage, StateStore } from '../state/types.js';
import { errorMessage } from '../errors.js';

export interface AttachmentFetcherOptions {
  dispatcherId: string;
  store: StateStore;
  channels: ReadonlyMap<string, ChannelAdapter>;
  logger: Logger;
}

export class AttachmentFetcher {
  /** Fetches in flight (or done, until the entry is taken), by entry id. */
  private readonly inFlight = new Map<string, Promise<QueuedMessage>>();
  private stopped = false;
  private onStop!: () => void;
  private readonly stopping = new Promise<null>((resolve) => {
    this.onStop = () => resolve(null);
  });

  constructor(private readonly opts: AttachmentFetcherOptions) {}

  /** Releases every waiter of {@link ready} with null; later fetches record nothing. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.onStop();
  }

  /** Starts fetching `entry`'s attachments in the background (no-op without any, or when already started). */
  start(entry: QueuedMessage): void {
    if (entry.attachments?.length) void this.ready(entry);
  }

  /**
   * `entry` with its text final: waits for the fetch started by {@link start} (or starts it).
   * Without pending attachments: `entry` itself; null once stopped (the entry waits for the next
   * start). Never rejects.
   */
  ready(entry: QueuedMessage): Promise<QueuedMessage | null> {
    if (!entry.attachments?.length) return Promise.resolve(entry);
    if (this.stopped) return this.stopping;
    // `entry` may be a copy read before an earlier fetch recorded the resolved text.
    const current = this.opts.store.listQueue(this.opts.dispatcherId).find((e) => e.id === entry.id);
    if (current?.kind === 'message' && !current.attachments?.length) return Promise.resolve(current);
    let pending = this.inFlight.get(entry.id);
    if (!pending) {
      pending = this.fetchAll(entry, entry.attachments);
      this.inFlight.set(entry.id, pending);
      // Forgotten once settled: the store holds the resolved text from then on.
      void pending.then(() => this.inFlight.delete(entry.id));
    }
    return Promise.race([pending, this.stopping]);
  }

  private async fetchAll(entry: QueuedMessage, attachments: readonly PendingAttachment[]): Promise<QueuedMessage> {
    const lines: string[] = [];
    // One at a time: a message rarely carries more than a few, and a channel's cache dir sees one writer per message.
    for (const a of attachments) lines.push(await this.fetchOne(entry.address, a));
    const text = fillAttachmentSlots(entry.text, lines).trim();
    const resolved: QueuedMessage = { ...entry, text };
    delete resolved.attachments;
    if (this.stopped) return resolved;
    try {
      await this.opts.store.updateQueued(this.opts.dispatcherId, entry.id, { text, attachments: null });
    } catch (err) {
      // The turn runs with the text anyway; after a restart the attachments are fetched again.
      this.opts.logger.warn({ entry: entry.id, err: errorMessage(err) }, 'fetched attachments could not be recorded; the turn runs with them');
    }
    this.opts.logger.debug({ entry: entry.id, attachments: attachments.length }, 'attachments fetched');
    return resolved;
  }

  private async fetchOne(address: ReplyAddress, a: PendingAttachment): Promise<string> {
    const channel = this.opts.channels.get(address.channelId);
    const label = attachmentLabel(a);
    if (!channel?.fetchAttachment) return `[${label} could not be downloaded: channel "${address.channelId}" cannot fetch attachments]`;
    try {
      return await channel.fetchAttachment(address, a);
    } catch (err) {
      const error = errorMessage(err);
      this.opts.logger.warn({ messageId: address.messageId, kind: a.kind, err: error }, 'attachment fetch failed');
      return `[${label} could not be downloaded: ${error}]`;
    }
  }
}
