/**
 * User-visible texts the dispatcher posts or injects (Markdown; adapters render them).
 */
import type { TurnOutcome } from '../codex/turn-runner.js';

/** Reply text for a turn that did not complete. */
export function failureText(outcome: Exclude<TurnOutcome, { status: 'completed' }>, turnTimeoutMs: number, stoppedBy: string | null = null): string {
  switch (outcome.status) {
    case 'interrupted':
      return outcome.reason === 'timeout'
        ? `⚠️ The agent took longer than ${Math.round(turnTimeoutMs / 1000)} s, so the turn was interrupted. Try again or split the request.`
        : stoppedText(stoppedBy);
    case 'disconnected':
      return `⚠️ The agent's runtime stopped while working on this message (${outcome.error}). Please send it again.`;
    case 'failed':
      return `⚠️ The agent could not answer: ${outcome.error}`;
  }
}

/** Prefix of the first reply after a thread could not be resumed. */
export function lostThreadWarning(lostThreadId: string | null): string {
  const which = lostThreadId ? ` (thread ${lostThreadId})` : '';
  return `⚠️ **Conversation history was lost**: the previous Codex thread${which} could not be resumed, so this answer starts a fresh thread without earlier context.`;
}

/** Posted to the conversation of a queued message whose stored entry was malformed and set aside (src/state/quarantine.ts). */
export function quarantinedText(reason: string): string {
  return `⚠️ A message could not be processed: its stored queue entry was malformed (${reason}), so it was set aside and will not be answered. Please send it again.`;
}

/** Posted when the dispatcher's queue is full. */
export function queueFullText(limit: number): string {
  return `⚠️ The agent is busy and ${limit} messages are already waiting, so this message was **not** queued. Please send it again later.`;
}

/** Developer note injected after a service restart that resumed the thread. */
export function restartNoticeText(at: Date, queued: number): string {
  const pending = queued > 0 ? ` ${queued} message(s) received before the restart are queued and follow now.` : '';
  return `[Switchboard notice] The Switchboard service restarted at ${at.toISOString()} and resumed this thread; any turn that was running was cut off.${pending}`;
}

/** Posted once per turn when codex reports a retryable error (e.g. the model endpoint is unreachable). */
export function retryingText(codexMessage: string): string {
  return `⏳ Codex ran into a problem and keeps retrying: ${codexMessage}`;
}

/** One-line dispatcher status for the `status` chat command: the running turn apart from the waiting ones. */
export function statusLineText(s: {
  id: string;
  status: string;
  threadId: string | null;
  waitingTurns: number;
  runningTurnAgeMs: number | null;
  turnRetries: number;
  restartCount: number;
  lastError: string | null;
}): string {
  let turn = s.runningTurnAgeMs === null ? 'idle' : `turn running for ${Math.round(s.runningTurnAgeMs / 1000)} s`;
  if (s.runningTurnAgeMs !== null && s.turnRetries > 0) turn += ` (codex retried ${s.turnRetries}×)`;
  const parts = [`**${s.id}**: ${s.status}`, turn, `${s.waitingTurns} waiting`, `${s.restartCount} restarts`, `thread \`${s.threadId ?? 'none'}\``];
  if (s.lastError) parts.push(`last error: ${s.lastError}`);
  return parts.join(' · ');
}

/** Answer to `stop`. */
export function stopResultText(interrupted: boolean): string {
  return interrupted ? '⏹️ Stopping the running turn.' : 'Nothing is running right now.';
}

/** Answer to a command from someone who is not an admin of the channel. */
export function commandRefusedText(command: string): string {
  return `Sorry, only admins of this channel can use \`${command}\`. An operator can add your user id to the channel's \`access.admins\`.`;
}

/** Text posted in reply when the service could not persist an inbound message. */
export function notQueuedText(error: string): string {
  return `⚠️ Switchboard could not queue this message (${error}). Please send it again.`;
}

/** A Stop press from someone who is neither the message's sender nor a channel admin. */
export function stopRefusedText(sender: string): string {
  return `Only ${sender} (who sent the message) or an admin of this channel can stop this turn.`;
}

/** A Stop press (or `stop`) for a turn that already ended. */
export function stopAlreadyFinishedText(): string {
  return 'This turn has already finished.';
}

/** What the presser of Stop is told while the turn is being interrupted. */
export function stoppingText(): string {
  return '⏹️ Stopping…';
}

/** The final mark of a turn stopped on request; `by` is who stopped it, when known. */
export function stoppedText(by: string | null): string {
  return by ? `⏹️ Stopped by ${by}.` : '⏹️ The turn was stopped.';
}

/** The note a live element left open by a previous process (or runtime) is closed with. */
export function liveAbandonedText(): string {
  return '⏹️ Stopped by a restart of Switchboard.';
}
