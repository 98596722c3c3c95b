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

/** One header line plus one row per dispatcher. */
export function formatStatusTable(status: ServiceStatus): string {
  const header = ['DISPATCHER', 'STATUS', 'THREAD', 'QUEUE', 'TURN AGE', 'RESTARTS', 'LAST ERROR'];
  const rows = status.dispatchers.map((d) => [
    d.id,
    d.status,
    d.threadId ?? '-',
    String(d.queueDepth),
    formatAge(d.runningTurnAgeMs),
    String(d.restartCount),
    d.lastError ? d.lastError.replace(/\s+/g, ' ').slice(0, 80) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
