/**
 * What the adapter contract suite (../adapter-contract.ts) needs from one adapter under test: the
 * adapter itself, wired to its platform's fake (or, for the web chat, to its own real HTTP API), and
 * the platform side of the conversation — delivering a user's message, reading what the platform
 * received. One harness per test; `close()` stops the adapter and the fake.
 */
import type { ChannelAdapter, InboundHandler, InboundMessage } from '../../../src/channels/types.js';
import type { ReplyAddress } from '../../../src/state/types.js';

/** A user message the platform delivered, as the adapter should hand it over. */
export interface Delivery {
  /** The InboundMessage fields the platform message must map to. */
  expected: Pick<InboundMessage, 'conversation' | 'messageId' | 'text'> & { senderId: string };
  /** Delivers the very same platform message again (the platform's own re-delivery / retry). */
  redeliver(): Promise<void>;
}

/** A message as the platform received it from the bot. */
export interface ReceivedPart {
  /** The platform's id of it (what `send` returns in `messageIds`). */
  id: string;
  /** Its text as the platform shows it (for Slack mrkdwn, for Feishu the post's `md` text). */
  text: string;
}

export interface AdapterHarness {
  /** The adapter under test, created but not started. */
  readonly adapter: ChannelAdapter;
  /**
   * Starts the adapter with `handler` and resolves once the platform can deliver to it (e.g. the
   * fake has seen this start's Socket Mode / long connection). Rejects as `adapter.start` does.
   */
  start(handler: InboundHandler): Promise<void>;
  /** The platform side: a user sends `text` to the bot; resolves once the platform has delivered it. */
  deliver(text: string): Promise<Delivery>;
  /** A source message the platform knows, to reply to (a fresh one per call). */
  knownAddress(): ReplyAddress;
  /** An address the platform cannot deliver to (a conversation or source message it does not know). */
  unknownAddress(): ReplyAddress;
  /** What the platform received in reply to `to`, oldest first (successful posts only). */
  received(to: ReplyAddress): Promise<ReceivedPart[]>;
  /** Longest text one posted part may have, in `string.length`; undefined: one message takes any length. */
  readonly textLimit: number | undefined;
  /**
   * Makes the platform refuse the progress calls that follow; returns how many it refused so far.
   * Absent when the adapter's progress makes no platform call (nothing to fail).
   */
  readonly failProgress?: () => () => number;
  /**
   * Whether the adapter itself drops a platform re-delivery of a message it already handed over
   * (else every delivery reaches onMessage and the dispatcher's store dedups by channelId:messageId).
   */
  readonly dropsRedeliveries: boolean;
  /** Stops the adapter (if started) and the fake; never rejects. */
  close(): Promise<void>;
}

/** Creates a fresh harness (fresh fake platform, fresh adapter). */
export type HarnessFactory = () => Promise<AdapterHarness>;
