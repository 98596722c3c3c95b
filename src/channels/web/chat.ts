/**
 * The web chat's shared state: conversation history in the StateStore, the
 * latest progress per user message (memory only), the open live bubbles
 * (memory only, ./live-bubbles.ts), and live fan-out to SSE clients.
 *
 * An append is issued to the store and broadcast in one synchronous step, so
 * SSE clients see messages in history order and check-then-append
 * (idempotency) needs no lock; callers then await the returned `stored`
 * promise for durability. A message whose write is still in flight counts as
 * present: a concurrent duplicate is not appended again and shares that write.
 * Prompts (./prompt.ts) are messages too, sent as `prompt` events instead of `message`, and
 * the one kind of message replaced in place (again a `prompt` event, once durable).
 */
import type { Logger } from '../../log.js';
import type { StateStore, WebMessage, WebPrompt } from '../../state/types.js';
import type { OutboundMessage, ProgressState, ReplyAddress, SendResult } from '../types.js';
import type { SseHub } from './api/sse.js';
import { markdownTree, type MarkdownNode } from './format/markdown-tree.js';
import { toOutboundWebMessage } from './format/outbound.js';
import { LiveBubbles } from './live-bubbles.js';
import { errorMessage } from '../../errors.js';

/** A history item as the API returns it. */
export interface WebMessageView extends WebMessage {
  /** Present on user messages whose turn is still queued or running. */
  progress?: 'queued' | 'running';
  /** Assistant and system messages: `text` parsed as Markdown (./format/markdown-tree.ts). */
  markdown?: MarkdownNode[];
  /** A prompt's title, buttons and status, with the status line parsed as Markdown too. */
  prompt?: WebPromptView;
}

/** A prompt as the API and SSE show it (./prompt.ts). */
export interface WebPromptView extends WebPrompt {
  /** `status` parsed as Markdown; null when there is no status line. */
  statusMarkdown: MarkdownNode[] | null;
}

/** Progress states remembered at most (oldest forgotten first). */
const MAX_TRACKED_PROGRESS = 10_000;
/** Parsed Markdown trees kept, by message id (oldest forgotten first). */
const MAX_CACHED_TREES = 2_000;
/** Outbound ids remembered for idempotency beyond the bounded history. */
const MAX_REMEMBERED_SENT = 5_000;

export interface WebChatOptions {
  channelId: string;
  historyLimit: number;
  store: StateStore;
  hub: SseHub;
  logger: Logger;
}

/** Outcome of an append: whether it added the message, and when that is durable. */
export interface AppendResult {
  /** False when a message with this id is already in (or on its way into) the history. */
  appended: boolean;
  /**
   * Resolves once the message is durably stored (immediately when it already
   * was); rejects when its store write failed.
   */
  stored: Promise<void>;
}

export class WebChat {
  /** Appends issued to the store whose write has not settled yet, by key(conversation, id). */
  private readonly pendingWrites = new Map<string, Promise<void>>();
  private readonly progress = new Map<string, 'queued' | 'running'>();
  /** Keys (conversation + id) of progress that reached done/failed, to ignore late "queued" marks. */
  private readonly settled = new Set<string>();
  private readonly sent = new Set<string>();
  /** Parsed bodies by key(conversation, id), with the text they were parsed from (a prompt's body may change). */
  private readonly trees = new Map<string, { text: string; tree: MarkdownNode[] }>();
  /** Running turns shown live (memory only). */
  readonly live: LiveBubbles;

  constructor(private readonly opts: WebChatOptions) {
    this.live = new LiveBubbles(opts.hub);
  }

  /** Conversation names with history. */
  conversations(): string[] {
    return [...this.opts.store.listWebConversations(this.opts.channelId)];
  }

  /** History of `conversation`, oldest first, with pending progress on user messages. */
  list(conversation: string): WebMessageView[] {
    return this.history(conversation).map((m) => this.view(conversation, m));
  }

  /** The stored message `id` of `conversation`, if it is in the history. */
  find(conversation: string, id: string): WebMessage | undefined {
    return this.history(conversation).find((m) => m.id === id);
  }

  /** A stored message as the API and SSE show it. */
  private view(conversation: string, m: WebMessage): WebMessageView {
    const { prompt, ...rest } = m;
    const view: WebMessageView = rest;
    const state = m.role === 'user' ? this.progress.get(key(conversation, m.id)) : undefined;
    if (state) view.progress = state;
    if (m.role !== 'user') view.markdown = this.tree(key(conversation, m.id), m.text);
    if (prompt) view.prompt = { ...prompt, statusMarkdown: prompt.status === null ? null : markdownTree(prompt.status) };
    return view;
  }

  private tree(k: string, text: string): MarkdownNode[] {
    const cached = this.trees.get(k);
    if (cached?.text === text) return cached.tree;
    const tree = markdownTree(text);
    this.trees.delete(k);
    this.trees.set(k, { text, tree });
    if (this.trees.size > MAX_CACHED_TREES) this.trees.delete(this.trees.keys().next().value!);
    return tree;
  }

  /**
   * Appends a user message to the history and broadcasts it right away, unless
   * a message with its id is already there (an idempotent retry). Does not wait
   * for the store: `stored` settles when the write does. Throws when the store
   * cannot be used at all (e.g. closed).
   */
  recordUserMessage(conversation: string, message: WebMessage): AppendResult {
    return this.appendOnce(conversation, message);
  }

  /** Appends a system note (e.g. why a message was refused); failures are logged only. */
  async addNote(conversation: string, note: WebMessage): Promise<void> {
    try {
      await this.appendOnce(conversation, note).stored;
    } catch (err) {
      this.opts.logger.warn({ err, conversation }, 'could not store a web chat note');
    }
  }

  /**
   * Stores and broadcasts a reply; idempotent per `message.idempotencyKey`.
   * SSE clients get the reply as soon as it is in the in-memory history;
   * `sent` is answered only once it is durable (so the dispatcher keeps the
   * queue entry until then; a crash in between re-runs the turn and the page
   * dedups the repeated reply by id). `outcome`: how the turn ended, when the
   * reply settles a live bubble (stored with the message).
   */
  async send(to: ReplyAddress, message: OutboundMessage, now: number, outcome?: WebMessage['outcome']): Promise<SendResult> {
    if (to.channelId !== this.opts.channelId) {
      return {
        status: 'failed',
        error: `reply address is for channel "${to.channelId}", not web channel "${this.opts.channelId}"`,
        retryable: false,
      };
    }
    const webMessage = toOutboundWebMessage(to, message, new Date(now).toISOString(), outcome);
    const sentKey = key(to.conversation, webMessage.id);
    if (this.sent.has(sentKey)) return { status: 'sent', messageIds: [webMessage.id] };
    try {
      await this.appendOnce(to.conversation, webMessage).stored;
    } catch (err) {
      this.opts.logger.warn({ err, conversation: to.conversation }, 'web chat reply could not be stored');
      return { status: 'failed', error: `web chat history store: ${errorText(err)}`, retryable: true };
    }
    remember(this.sent, sentKey, MAX_REMEMBERED_SENT);
    return { status: 'sent', messageIds: [webMessage.id] };
  }

  /**
   * Appends a prompt message (`message.prompt` set) and broadcasts it as a `prompt` event; resolves
   * once durable. Rejects when the store write fails.
   */
  async postPrompt(conversation: string, message: WebMessage): Promise<void> {
    await this.appendOnce(conversation, message).stored;
  }

  /**
   * Replaces the stored message `message.id` (a prompt) and broadcasts it again as a `prompt` event
   * once durable. Resolves false when the history has no such message (nothing is broadcast).
   * Rejects when the store write fails.
   */
  async replacePrompt(conversation: string, message: WebMessage): Promise<boolean> {
    const k = key(conversation, message.id);
    // The write of the message may still be in flight: replace what it stored, not beside it.
    await this.pendingWrites.get(k);
    if (!(await this.opts.store.replaceWebMessage(this.opts.channelId, conversation, message.id, message))) return false;
    this.opts.hub.broadcast(conversation, 'prompt', this.view(conversation, message));
    return true;
  }

  /** Records and broadcasts the progress of a user message. */
  setProgress(conversation: string, messageId: string, state: ProgressState): void {
    const k = key(conversation, messageId);
    if (state === 'queued' || state === 'running') {
      this.settled.delete(k);
      this.progress.delete(k);
      this.progress.set(k, state);
      while (this.progress.size > MAX_TRACKED_PROGRESS) {
        const oldest = this.progress.keys().next().value;
        if (oldest === undefined) break;
        this.progress.delete(oldest);
      }
    } else {
      this.progress.delete(k);
      remember(this.settled, k, MAX_TRACKED_PROGRESS);
    }
    this.opts.hub.broadcast(conversation, 'progress', { messageId, state });
  }

  /** Marks a just-accepted message "queued" unless the dispatcher already reported a state. */
  markQueued(conversation: string, messageId: string): void {
    const k = key(conversation, messageId);
    if (this.progress.has(k) || this.settled.has(k)) return;
    this.setProgress(conversation, messageId, 'queued');
  }

  /** Stored history of `conversation` (an empty list when the store has none). */
  private history(conversation: string): readonly WebMessage[] {
    const list = this.opts.store.listWebMessages(this.opts.channelId, conversation);
    return Array.isArray(list) ? list : [];
  }

  /**
   * Appends `message` unless its id is present or pending, and broadcasts it
   * when appended; all in one synchronous step, so issue order = history order
   * = SSE order. Throws only when the store cannot be read.
   */
  private appendOnce(conversation: string, message: WebMessage): AppendResult {
    const { store, channelId, historyLimit, hub } = this.opts;
    const k = key(conversation, message.id);
    const pending = this.pendingWrites.get(k);
    if (pending) return { appended: false, stored: pending };
    if (this.history(conversation).some((m) => m.id === message.id)) {
      return { appended: false, stored: Promise.resolve() };
    }
    let stored: Promise<void>;
    try {
      stored = store.appendWebMessage(channelId, conversation, message, historyLimit);
    } catch (err) {
      stored = Promise.reject(err);
    }
    this.pendingWrites.set(k, stored);
    const clear = (): void => {
      if (this.pendingWrites.get(k) === stored) this.pendingWrites.delete(k);
    };
    // Also marks the rejection handled here; callers get `stored` itself and handle it.
    stored.then(clear, clear);
    hub.broadcast(conversation, message.prompt ? 'prompt' : 'message', this.view(conversation, message));
    return { appended: true, stored };
  }
}

function key(conversation: string, messageId: string): string {
  return `${conversation}\u0000${messageId}`;
}

function remember(set: Set<string>, value: string, max: number): void {
  set.delete(value);
  set.add(value);
  if (set.size > max) {
    const oldest = set.values().next().value;
    if (oldest !== undefined) set.delete(oldest);
  }
}

function errorText(err: unknown): string {
  return errorMessage(err);
}
