/**
 * The chat commands of a dispatcher, each for the session of the conversation/thread it was
 * sent in, answered there as a notice. Who may do what (the gate says whether the sender is an
 * admin of the channel; see ./gate.ts):
 *
 * - `stop`: the session's running turn; admins, or the sender of the message it runs for. A stop
 *   answered in the same conversation and thread as the stopped turn (web chat, a flat Feishu
 *   chat) posts nothing itself: the turn's final mark ("Stopped by …") is the one answer.
 * - `status`: admins; the dispatcher's line and the asker's session.
 * - `new` / `reset`: a fresh Codex thread for the session (the old id is kept); anyone in a
 *   `conversation` / `thread` session, only admins where the whole dispatcher shares one thread.
 *   Refused while a turn of the session runs.
 * - `queue`: anyone; the running turn and the waiting messages of the session.
 * - `cancel N`: waiting message N of `queue`; its sender or an admin. A teammate's completion
 *   cannot be cancelled (its delivery is promised to the teammate).
 */
import { labelAttachmentSlots } from '../channels/attachments.js';
import type { AcceptResult, InboundMessage, OutboundMessage, ReplyAddress } from '../channels/types.js';
import { replyAddressOf } from '../channels/types.js';
import type { Clock } from '../clock.js';
import type { AgentRuntime } from '../codex/agent-runtime.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { QueuedTurn, StateStore } from '../state/types.js';
import type { Command } from './gate.js';
import { commandRefusedText, statusLineText, stopRefusedText, stopResultText } from './messages.js';
import type { RunningTurn } from './running-turn.js';
import type { SessionBook } from './sessions/book.js';
import { DISPATCHER_SESSION, type sessionOf } from './sessions/key.js';
import {
  cancelledText,
  cancelRefusedText,
  cancelUsageText,
  freshRefusedText,
  freshThreadText,
  freshWhileRunningText,
  queueText,
  runtimeRestartingText,
  sessionLineText,
  type WaitingLine,
} from './sessions/texts.js';
import type { DispatcherStatus } from './status.js';
import { sessionKeyOf } from './turn-scheduler.js';

export interface ChatCommandsOptions {
  dispatcherId: string;
  store: StateStore;
  runtime: Pick<AgentRuntime, 'status' | 'openSessions'>;
  sessions: SessionBook;
  /** The session a message at `address` belongs to. */
  sessionOf(address: ReplyAddress): ReturnType<typeof sessionOf>;
  /** The running turn of session `key`. */
  running(key: string): RunningTurn | undefined;
  /** Interrupts session `key`'s running turn; false when none ran. */
  interrupt(by: string, key: string): Promise<boolean>;
  status(): DispatcherStatus;
  /** Posts a reply; never throws. */
  reply(to: ReplyAddress, message: OutboundMessage): Promise<void>;
  /** Called after a queued entry was cancelled (removed). */
  cancelled(entry: QueuedTurn): void;
  logger: Logger;
  clock: Clock;
}

export class ChatCommands {
  constructor(private readonly opts: ChatCommandsOptions) {}

  /** Runs `command` sent in `msg` (see the module header) and answers it; never throws. */
  async run(msg: InboundMessage, command: Command, admin: boolean): Promise<AcceptResult> {
    const to = replyAddressOf(msg);
    const session = this.opts.sessionOf(to);
    const by = msg.sender.name ?? msg.sender.id;
    this.opts.logger.info({ command: command.name, admin, session: session.key, channel: msg.channelId, sender: msg.sender.id }, 'chat command');
    let text: string | null;
    try {
      switch (command.name) {
        case 'stop':
          text = await this.stop(to, session.key, msg.sender.id, by, admin);
          break;
        case 'status':
          text = admin ? this.statusText(session.key, session.scope) : commandRefusedText('status');
          break;
        case 'new':
          text = await this.fresh(session.key, session.scope, admin);
          break;
        case 'queue':
          text = this.queueAnswer(session.key, session.scope);
          break;
        case 'cancel':
          text = await this.cancel(session.key, command.position, msg.sender.id, by, admin);
          break;
      }
    } catch (err) {
      this.opts.logger.warn({ command: command.name, err: errorMessage(err) }, 'chat command failed');
      text = `⚠️ \`${command.name}\` failed: ${errorMessage(err)}`;
    }
    if (text !== null) await this.opts.reply(to, { kind: 'notice', text, idempotencyKey: `command:${msg.channelId}:${msg.conversation}:${msg.messageId}` });
    return { status: 'handled', command: command.name };
  }

  /** Null: the stopped turn's own final mark answers (same place). */
  private async stop(to: ReplyAddress, key: string, senderId: string, by: string, admin: boolean): Promise<string | null> {
    const run = this.opts.running(key);
    if (!run) return stopResultText(false);
    const owner = run.entry.kind === 'message' ? run.entry.sender : null;
    if (!admin && owner?.id !== senderId) return owner ? stopRefusedText(owner.name ?? owner.id) : commandRefusedText('stop');
    const interrupted = await this.opts.interrupt(by, key);
    const at = run.address;
    // Where the command's answer would land next to the stopped turn's own mark, that mark is the one answer.
    if (interrupted && at?.channelId === to.channelId && at.conversation === to.conversation && at.thread === to.thread) return null;
    return stopResultText(interrupted);
  }

  private statusText(key: string, scope: ReturnType<typeof sessionOf>['scope']): string {
    const status = this.opts.status();
    const mine = status.sessions.find((s) => s.key === key);
    const line = statusLineText(status);
    if (!mine || status.sessions.length <= 1) return line;
    return `${line}\n${sessionLineText({ scope, threadId: mine.threadId, queueDepth: mine.queueDepth, runningTurnAgeMs: mine.runningTurnAgeMs, previous: mine.previousThreadIds.length })}`;
  }

  private async fresh(key: string, scope: ReturnType<typeof sessionOf>['scope'], admin: boolean): Promise<string> {
    if (key === DISPATCHER_SESSION && !admin) return freshRefusedText();
    if (this.opts.running(key)) return freshWhileRunningText();
    const { runtime } = this.opts;
    const loaded = key === DISPATCHER_SESSION || runtime.openSessions().includes(key);
    if (loaded && runtime.status !== 'ready') return runtimeRestartingText('new');
    if (key !== DISPATCHER_SESSION && !this.opts.store.getSession(this.opts.dispatcherId, key)) return freshThreadText(scope, null);
    const { previous } = await this.opts.sessions.fresh(key);
    return freshThreadText(scope, previous);
  }

  /** The session's entries: the running one, and the waiting ones numbered from 1. */
  private lines(key: string): { running: QueuedTurn | null; waiting: Array<WaitingLine & { entry: QueuedTurn }> } {
    const runningId = this.opts.running(key)?.entry.id;
    const mine = this.opts.store.listQueue(this.opts.dispatcherId).filter((e) => sessionKeyOf(e) === key);
    const running = mine.find((e) => e.id === runningId) ?? null;
    const waiting = mine.filter((e) => e.id !== runningId).map((entry, i) => ({ entry, position: i + 1, ...describe(entry) }));
    return { running, waiting };
  }

  private queueAnswer(key: string, scope: ReturnType<typeof sessionOf>['scope']): string {
    const { running, waiting } = this.lines(key);
    const run = this.opts.running(key);
    const head = running && run ? { ...describe(running), ageMs: this.opts.clock.now() - run.since } : null;
    return queueText(scope, head, waiting);
  }

  private async cancel(key: string, position: number | null, senderId: string, by: string, admin: boolean): Promise<string> {
    const { waiting } = this.lines(key);
    const line = position === null ? undefined : waiting[position - 1];
    if (!line) return cancelUsageText(waiting.length);
    const { entry } = line;
    if (entry.kind === 'completion') return `Waiting message ${line.position} is a teammate's result; it cannot be cancelled.`;
    if (!admin && entry.sender.id !== senderId) return cancelRefusedText(line.sender);
    await this.opts.store.removeQueued(this.opts.dispatcherId, entry.id);
    this.opts.logger.info({ entry: entry.id, session: key, by: senderId }, 'waiting message cancelled');
    this.opts.cancelled(entry);
    return cancelledText(line, by);
  }
}

/** Who sent a queue entry and what it says, for `queue`. */
function describe(entry: QueuedTurn): { sender: string; text: string } {
  if (entry.kind === 'message') {
    return { sender: entry.sender.name ?? entry.sender.id, text: labelAttachmentSlots(entry.text, entry.attachments) };
  }
  return { sender: 'a teammate', text: `result ${entry.completionId}` };
}
