/**
 * One inbound turn shown live in its chat: the glue between the Dispatcher, the channel's
 * `live` capability (src/channels/live.ts), the Stop button's action id (../actions.ts) and
 * the state store.
 *
 * - `beginLiveSession` issues the Stop action (the sender and the channel's admins may press
 *   it), opens the element while the turn starts, and records the element's `ref` on the queue
 *   entry once it is open, so a restarted service can close it.
 * - `finish` settles the element with the final message (see `LiveTurn.finish`); `abandon` closes
 *   it with a note instead (the turn will run again after a runtime restart). Both retire the
 *   Stop action, so a later press answers "already finished".
 * - `closeLeftoverElement` closes an element a previous process (or runtime generation) left open.
 */
import type { ActionEvent, LiveEnd } from '../../channels/live.js';
import type { ChannelAdapter, ReplyAddress, SendResult } from '../../channels/types.js';
import type { Clock } from '../../clock.js';
import type { TurnEvent } from '../../codex/turn-runner.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { LiveElementRecord, QueuedMessage, QueuedTurn, StateStore } from '../../state/types.js';
import type { ActionRegistry } from '../actions.js';
import { stopAlreadyFinishedText, stopRefusedText } from '../messages.js';
import { LiveTurn } from './live-turn.js';

/** How a channel shows live turns, and who may press its buttons besides the message's sender. */
export interface ChannelLivePolicy {
  admins: readonly string[];
  /** Everyone counts as admin (the loopback web chat). */
  everyoneIsAdmin: boolean;
  /** Off: turns on this channel are answered with `send()` only. */
  liveEnabled: boolean;
  /** Least time between updates, ms; the adapter's own `minIntervalMs` wins when larger. */
  minIntervalMs?: number;
}

/** The policy of a channel nobody configured: live on, no admins. */
export const DEFAULT_LIVE_POLICY: ChannelLivePolicy = { admins: [], everyoneIsAdmin: false, liveEnabled: true };

export interface LiveSessionDeps {
  dispatcherId: string;
  channels: ReadonlyMap<string, ChannelAdapter>;
  store: StateStore;
  actions: ActionRegistry;
  /** A channel's live settings and admins (its `live` and `access.admins`). */
  policyOf: (channelId: string) => ChannelLivePolicy;
  clock: Clock;
  logger: Logger;
}

export class LiveSession {
  private recorded: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(
    private readonly deps: LiveSessionDeps,
    private readonly entry: QueuedMessage,
    private readonly turn: LiveTurn,
    private readonly stopActionId: string,
  ) {
    this.recorded = turn.whenOpened().then(async (element) => {
      if (!element || this.ended) return;
      const live = { channelId: entry.address.channelId, ref: element.ref };
      await deps.store.updateQueued(deps.dispatcherId, entry.id, { live }).catch((err: unknown) => {
        deps.logger.warn({ err: errorMessage(err), entry: entry.id }, 'could not record the live element; a restart will not close it');
      });
    });
  }

  /** Counts of the element's updates (for logs and benchmarks). */
  get stats(): LiveTurn['stats'] {
    return this.turn.stats;
  }

  onEvent(event: TurnEvent): void {
    this.turn.onEvent(event);
  }

  /** Settles the element with the final message; `failed` means the caller must `send()` it. Never throws. */
  async finish(end: LiveEnd): Promise<SendResult> {
    this.ended = true;
    this.deps.actions.retire(this.stopActionId);
    await this.recorded;
    return this.turn.finish(end);
  }

  /** Closes the element with `note` (the turn runs again later) and forgets it in state. Never throws. */
  async abandon(note: string): Promise<void> {
    this.ended = true;
    this.deps.actions.retire(this.stopActionId);
    await this.recorded;
    const element = await this.turn.halt();
    if (element) await closeElement(this.deps, this.entry.id, this.entry.address, { channelId: this.entry.address.channelId, ref: element.ref }, note);
  }
}

/**
 * Starts showing `entry`'s turn live when its channel can; null when it cannot (the turn is then
 * answered with `send()`). `stop` interrupts exactly this turn and answers what the presser is told.
 */
export function beginLiveSession(deps: LiveSessionDeps, entry: QueuedMessage, stop: (by: ActionEvent['user']) => Promise<string>): LiveSession | null {
  const live = deps.channels.get(entry.address.channelId)?.live;
  const policy = deps.policyOf(entry.address.channelId);
  if (!live || !policy.liveEnabled) return null;
  const { admins, everyoneIsAdmin } = policy;
  const stopActionId = deps.actions.issue({
    channelId: entry.address.channelId,
    conversation: entry.address.conversation,
    allowedUserIds: [entry.sender.id, ...admins],
    everyoneAllowed: everyoneIsAdmin,
    refusedText: stopRefusedText(entry.sender.name ?? entry.sender.id),
    staleText: stopAlreadyFinishedText(),
    run: stop,
  });
  const turn = new LiveTurn(() => live.open(entry.address, { key: entry.id, stopActionId, recipientUserId: entry.sender.id }), {
    minIntervalMs: Math.max(live.minIntervalMs, policy.minIntervalMs ?? 0),
    clock: deps.clock,
    logger: deps.logger.child({ entry: entry.id }),
  });
  return new LiveSession(deps, entry, turn, stopActionId);
}

/** Closes the live element `entry` records (left open by a previous process); then forgets it. Never throws. */
export async function closeLeftoverElement(deps: LiveSessionDeps, entry: QueuedTurn, note: string): Promise<void> {
  if (entry.live && entry.address) await closeElement(deps, entry.id, entry.address, entry.live, note);
}

/** Abandons element `rec` of entry `entryId` with `note` on its channel, then removes the record from the entry. */
async function closeElement(deps: LiveSessionDeps, entryId: string, address: ReplyAddress, rec: LiveElementRecord, note: string): Promise<void> {
  const live = deps.channels.get(rec.channelId)?.live;
  if (live) await live.abandon(address, rec.ref, note);
  else deps.logger.warn({ channel: rec.channelId, entry: entryId }, 'a live element was left open on a channel that is gone');
  await deps.store.updateQueued(deps.dispatcherId, entryId, { live: null }).catch((err: unknown) => {
    deps.logger.warn({ err: errorMessage(err) }, 'could not clear the live element record');
  });
}
