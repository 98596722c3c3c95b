/**
 * User-visible texts of sessions and of the session chat commands (`new`/`reset`, `queue`,
 * `cancel N`) and busy policies (Markdown; adapters render them).
 */
import type { SessionScope } from '../../state/types.js';

/** One waiting message as `queue` lists it. */
export interface WaitingLine {
  /** 1-based, as `cancel N` takes it. */
  position: number;
  sender: string;
  text: string;
}

/** The first words of a message, one line, at most `max` characters. */
export function firstWords(text: string, max = 60): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

function scopeName(scope: SessionScope): string {
  return scope === 'dispatcher' ? 'this dispatcher' : scope === 'conversation' ? 'this conversation' : 'this thread';
}

/** Answer to `queue`: the running turn (if any) and the waiting messages of the asker's session. */
export function queueText(scope: SessionScope, running: { sender: string; text: string; ageMs: number } | null, waiting: readonly WaitingLine[]): string {
  const lines: string[] = [];
  if (running) lines.push(`▶️ Running for ${Math.round(running.ageMs / 1000)} s: ${running.sender}: “${firstWords(running.text)}”`);
  if (waiting.length === 0) lines.push(`Nothing is waiting in ${scopeName(scope)}.`);
  else {
    lines.push(`${waiting.length} waiting in ${scopeName(scope)} (\`cancel N\` removes one):`);
    for (const w of waiting) lines.push(`${w.position}. ${w.sender}: “${firstWords(w.text)}”`);
  }
  return lines.join('\n');
}

/** Answer to `cancel N` that removed a message. */
export function cancelledText(line: WaitingLine, by: string): string {
  return `🗑️ Cancelled ${line.sender}'s waiting message ${line.position} (“${firstWords(line.text)}”), by ${by}. It will not run.`;
}

/** Answer to `cancel` without a valid position. */
export function cancelUsageText(count: number): string {
  return count === 0 ? 'Nothing is waiting, so there is nothing to cancel.' : `Say \`cancel N\` with N from 1 to ${count} (see \`queue\`).`;
}

/** `cancel N` of someone else's message by a non-admin. */
export function cancelRefusedText(owner: string): string {
  return `Only ${owner} (who sent it) or an admin of this channel can cancel that message.`;
}

/** Answer to `new` / `reset` that started a fresh thread. */
export function freshThreadText(scope: SessionScope, previous: string | null): string {
  const kept = previous ? ` The previous thread \`${previous}\` is kept (see \`switchboard status\`).` : '';
  return `🆕 Starting over: ${scopeName(scope)} gets a fresh Codex thread, without the earlier context.${kept}`;
}

/** `new` while a turn of the session runs. */
export function freshWhileRunningText(): string {
  return 'A turn is running in this session; `stop` it or wait for it to finish, then say `new` again.';
}

/** `new` in the dispatcher-wide session by a non-admin. */
export function freshRefusedText(): string {
  return 'This conversation shares one agent context with everything this dispatcher serves, so only admins of this channel can start it over with `new`.';
}

/** A command that needs the runtime while it restarts. */
export function runtimeRestartingText(command: string): string {
  return `The agent's runtime is restarting; try \`${command}\` again in a moment.`;
}

/** Acknowledgement of a message added to the running turn (busy policy `steer`). */
export function steeredText(): string {
  return '➕ Added to the running turn.';
}

/** One line of the asker's session for the chat `status`. */
export function sessionLineText(s: {
  scope: SessionScope;
  threadId: string | null;
  queueDepth: number;
  runningTurnAgeMs: number | null;
  previous: number;
}): string {
  const turn = s.runningTurnAgeMs === null ? 'idle' : `turn running for ${Math.round(s.runningTurnAgeMs / 1000)} s`;
  const parts = [`your session: ${scopeName(s.scope)}`, turn, `${s.queueDepth} queued`, `thread \`${s.threadId ?? 'none yet'}\``];
  if (s.previous > 0) parts.push(`${s.previous} earlier thread(s)`);
  return parts.join(' · ');
}
