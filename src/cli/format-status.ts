/**
 * Renders `switchboard status` as fixed-width tables for an 80–100 column terminal: dispatchers,
 * then the sessions of each dispatcher that has more than its own thread (issue 12), teammates and
 * pending approvals. `--json` prints the whole ServiceStatus instead (full ids, every session).
 */
import type { SessionStatus } from '../dispatch/status.js';
import type { ServiceStatus } from '../service.js';

/** Sessions listed per dispatcher; the rest are counted in a "… and N more" line. */
export const SESSION_ROWS = 10;

/** Human duration: 850ms, 12s, 3m05s, 2h04m. */
export function formatAge(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${ms}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)];
}

function oneLine(error: string | null): string {
  return error ? error.replace(/\s+/g, ' ').slice(0, 80) : '-';
}

/** `s` cut to `max` characters by an ellipsis in the middle, so its start and its end stay. */
export function shorten(s: string, max: number): string {
  if (s.length <= max) return s;
  const tail = Math.floor((max - 1) / 2);
  return `${s.slice(0, max - 1 - tail)}…${s.slice(s.length - tail)}`;
}

/** A thread id cut to its last 12 characters (the random end of codex's UUIDv7 ids; the start is a timestamp). */
function shortThread(id: string | null): string {
  if (id === null) return '-';
  return id.length <= 13 ? id : `…${id.slice(-12)}`;
}

function where(s: SessionStatus): string {
  if (s.place === null) return '(own thread)';
  const { channelId, conversation, thread } = s.place;
  return shorten(thread === undefined ? `${channelId}/${conversation}` : `${channelId}/${conversation}/${thread}`, 30);
}

/**
 * The sessions block of one dispatcher: a title line (count, turns running), a table with one row
 * per session in the status's order (the first `SESSION_ROWS`), and "… and N more" for the rest.
 */
function sessionRows(d: ServiceStatus['dispatchers'][number]): string[] {
  const shown = d.sessions.slice(0, SESSION_ROWS);
  const running = d.runningTurns === 1 ? '1 turn running' : `${d.runningTurns} turns running`;
  const lines = [
    `${d.id}: ${d.sessions.length} sessions, ${running}`,
    ...table(
      ['SCOPE', 'WHERE', 'THREAD', 'STATE', 'QUEUE', 'TURN AGE', 'PREV'],
      shown.map((s) => [
        s.scope,
        where(s),
        shortThread(s.threadId),
        s.loaded ? 'loaded' : 'unloaded',
        String(s.queueDepth),
        formatAge(s.runningTurnAgeMs),
        String(s.previousThreadIds.length),
      ]),
    ),
  ];
  if (d.sessions.length > shown.length) lines.push(`… and ${d.sessions.length - shown.length} more (switchboard status --json lists all)`);
  return lines;
}

/**
 * While the state cannot be written, a `degraded: state not writable …` line and a blank line
 * first. Then one header line plus one row per dispatcher; then a blank line and the sessions block of each
 * dispatcher with more sessions than its own thread; then, when there are any, a blank line and
 * one row per teammate, and one per pending approval.
 */
export function formatStatusTable(status: ServiceStatus): string {
  const lines: string[] = [];
  const st = status.state;
  if (st && st.status === 'degraded') {
    lines.push(
      `degraded: ${st.reason ?? 'state not writable'} since ${st.since ?? '?'} (${oneLine(st.error)}); new messages are refused, writes are retried`,
      '',
    );
  }
  lines.push(
    ...table(
      ['DISPATCHER', 'STATUS', 'THREAD', 'WAITING', 'TURN AGE', 'TURN RETRIES', 'RESTARTS', 'LAST ERROR'],
      status.dispatchers.map((d) => [
        d.id,
        d.status === 'idle' && typeof d.idleForMs === 'number' ? `idle ${formatAge(d.idleForMs)}` : d.status,
        d.threadId ?? '-',
        String(d.waitingTurns),
        formatAge(d.runningTurnAgeMs),
        d.runningTurnAgeMs === null ? '-' : String(d.turnRetries),
        String(d.restartCount),
        oneLine(d.lastError),
      ]),
    ),
  );
  for (const d of status.dispatchers) {
    if ((d.sessions ?? []).length > 1) lines.push('', ...sessionRows(d));
  }
  const teammates = status.teammates ?? [];
  if (teammates.length > 0) {
    lines.push(
      '',
      ...table(
        ['TEAMMATE', 'DISPATCHER', 'STATUS', 'THREAD', 'TASKS', 'TURN AGE', 'RESTARTS', 'LAST ERROR'],
        teammates.map((t) => [
          t.name,
          t.dispatcher,
          t.status,
          t.threadId ?? '-',
          String(t.tasks),
          formatAge(t.runningTurnAgeMs),
          String(t.restartCount),
          oneLine(t.lastError),
        ]),
      ),
    );
  }
  const approvals = status.approvals ?? [];
  if (approvals.length > 0) lines.push('', ...approvalRows(approvals));
  const quarantined = status.quarantined ?? 0;
  if (quarantined > 0) lines.push('', quarantineLine(quarantined));
  return lines.join('\n');
}

/** The warning line for malformed state entries set aside on open. */
function quarantineLine(n: number): string {
  const what = n === 1 ? '1 malformed state entry' : `${n} malformed state entries`;
  return `QUARANTINED: ${what} set aside (kept in state.json "quarantine", with the reason; see the service log)`;
}

/** The pending approvals table (`switchboard status`, `switchboard approvals list`). */
export function approvalRows(approvals: ServiceStatus['approvals']): string[] {
  return table(
    ['APPROVAL', 'DISPATCHER', 'ASKED BY', 'AGE', 'WHERE', 'WHAT'],
    approvals.map((a) => [a.id, a.dispatcherId, a.teammate ?? '-', formatAge(a.ageMs), `${a.channelId}/${a.conversation}`, oneLine(a.summary)]),
  );
}
