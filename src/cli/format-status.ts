/**
 * Renders `switchboard status` as a fixed-width table.
 */
import type { ServiceStatus } from '../service.js';

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

/**
 * One header line plus one row per dispatcher; then, when there are any, a
 * blank line and one row per teammate, and one per pending approval.
 */
export function formatStatusTable(status: ServiceStatus): string {
  const lines = table(
    ['DISPATCHER', 'STATUS', 'THREAD', 'WAITING', 'TURN AGE', 'TURN RETRIES', 'RESTARTS', 'LAST ERROR'],
    status.dispatchers.map((d) => [
      d.id,
      d.status,
      d.threadId ?? '-',
      String(d.waitingTurns),
      formatAge(d.runningTurnAgeMs),
      d.runningTurnAgeMs === null ? '-' : String(d.turnRetries),
      String(d.restartCount),
      oneLine(d.lastError),
    ]),
  );
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
  return lines.join('\n');
}

/** The pending approvals table (`switchboard status`, `switchboard approvals list`). */
export function approvalRows(approvals: ServiceStatus['approvals']): string[] {
  return table(
    ['APPROVAL', 'DISPATCHER', 'ASKED BY', 'AGE', 'WHERE', 'WHAT'],
    approvals.map((a) => [a.id, a.dispatcherId, a.teammate ?? '-', formatAge(a.ageMs), `${a.channelId}/${a.conversation}`, oneLine(a.summary)]),
  );
}
