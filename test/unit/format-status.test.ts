/**
 * `switchboard status` rendering of a dispatcher's sessions (issue 12): a block per dispatcher
 * with more than its own thread, one compact row per session, capped with "… and N more".
 */
import { describe, expect, it } from 'vitest';
import { formatStatusTable, SESSION_ROWS, shorten } from '../../src/cli/format-status.js';
import type { DispatcherStatus, SessionStatus } from '../../src/dispatch/status.js';
import type { ServiceStatus } from '../../src/service.js';

const UUID = '019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5b';

const own: SessionStatus = {
  key: 'dispatcher',
  scope: 'dispatcher',
  place: null,
  threadId: UUID,
  loaded: true,
  queueDepth: 1,
  runningTurnAgeMs: 12_000,
  lastActiveAt: null,
  previousThreadIds: ['old-1'],
};

function conv(n: number, extra: Partial<SessionStatus> = {}): SessionStatus {
  return {
    key: `k${n}`,
    scope: 'conversation',
    place: { channelId: 'slack', conversation: `C${n}` },
    threadId: `019a0000-0000-7000-8000-00000000000${n % 10}`,
    loaded: false,
    queueDepth: 0,
    runningTurnAgeMs: null,
    lastActiveAt: 1_000,
    previousThreadIds: [],
    ...extra,
  };
}

function dispatcher(id: string, sessions: SessionStatus[], runningTurns = 1): DispatcherStatus {
  return {
    id,
    status: 'ready',
    threadId: UUID,
    idleForMs: null,
    queueDepth: 1,
    waitingTurns: 0,
    pid: 2,
    runningTurnAgeMs: 12_000,
    turnRetries: 0,
    restartCount: 0,
    lastError: null,
    failedReplies: 0,
    quarantined: 0,
    runningTurns,
    sessions,
  };
}

function status(...dispatchers: DispatcherStatus[]): ServiceStatus {
  return {
    pid: 1,
    startedAt: 'now',
    channels: [],
    approvals: [],
    teammates: [],
    dispatchers,
    quarantined: 0,
    state: { status: 'ok', reason: null, error: null, since: null },
  };
}

describe('status table: state health', () => {
  it('says nothing of the state while it is writable', () => {
    expect(formatStatusTable(status())).not.toMatch(/degraded/);
  });

  it('starts with a degraded line naming the write error while the state is not writable', () => {
    const s: ServiceStatus = {
      ...status(),
      state: { status: 'degraded', reason: 'state not writable', error: 'ENOSPC: no space left on device, write', since: '2026-01-02T03:04:05.000Z' },
    };
    expect(formatStatusTable(s).split('\n')[0]).toBe(
      'degraded: state not writable since 2026-01-02T03:04:05.000Z (ENOSPC: no space left on device, write); new messages are refused, writes are retried',
    );
  });
});

describe('status table: sessions', () => {
  it('shows no sessions block for a dispatcher with only its own thread', () => {
    const text = formatStatusTable(status(dispatcher('main', [own])));
    expect(text.split('\n')).toHaveLength(2);
    expect(text).not.toContain('SCOPE');
  });

  it('lists every session of a dispatcher with more than its own: scope, place, thread, loaded, queue, turn age, previous threads', () => {
    const thread: SessionStatus = {
      ...conv(2),
      key: 'slack:C9:1712345678.123456',
      scope: 'thread',
      place: { channelId: 'slack', conversation: 'C9', thread: '1712345678.123456' },
      threadId: null,
      previousThreadIds: ['a', 'b'],
    };
    const lines = formatStatusTable(
      status(dispatcher('main', [own, conv(1, { loaded: true, queueDepth: 2, runningTurnAgeMs: 65_000 }), thread], 2), dispatcher('solo', [own])),
    ).split('\n');
    expect(lines.slice(0, 3).map((l) => l.split(' ')[0])).toEqual(['DISPATCHER', 'main', 'solo']);
    expect(lines.slice(3)).toHaveLength(6);
    expect(lines[3]).toBe('');
    expect(lines[4]).toBe('main: 3 sessions, 2 turns running');
    expect(lines[5]).toMatch(/^SCOPE +WHERE +THREAD +STATE +QUEUE +TURN AGE +PREV$/);
    expect(lines[6]).toMatch(/^dispatcher +\(own thread\) +…0c1d2e3f4a5b +loaded +1 +12s +1$/);
    expect(lines[7]).toMatch(/^conversation +slack\/C1 +…000000000001 +loaded +2 +1m05s +0$/);
    expect(lines[8]).toMatch(/^thread +slack\/C9\/1712345678\.123456 +- +unloaded +0 +- +2$/);
    // Columns line up.
    const at = lines[5]!.indexOf('STATE');
    expect(lines.slice(6, 9).map((l) => l.slice(at).split(' ')[0])).toEqual(['loaded', 'loaded', 'unloaded']);
  });

  it('caps a block at SESSION_ROWS sessions with "… and N more", and long places keep start and end within 100 columns', () => {
    const feishu = (n: number): SessionStatus =>
      conv(n, { scope: 'thread', place: { channelId: 'feishu', conversation: `oc_a0553eda9014c201e6969b478895c2${n}`, thread: `omt_1a2b3c4d5e6f7${n}` } });
    const sessions = [own, ...Array.from({ length: 14 }, (_, i) => feishu(i + 10))];
    const lines = formatStatusTable(status(dispatcher('main', sessions, 1))).split('\n');
    expect(lines[3]).toBe('main: 15 sessions, 1 turn running');
    const rows = lines.slice(5);
    expect(rows).toHaveLength(SESSION_ROWS + 1);
    expect(rows.at(-1)).toBe('… and 5 more (switchboard status --json lists all)');
    expect(rows[1]).toContain(' feishu/oc_a0553…a2b3c4d5e6f710 ');
    for (const line of lines.slice(3)) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('shorten keeps both ends', () => {
    expect(shorten('abcdef', 6)).toBe('abcdef');
    expect(shorten('abcdefghij', 7)).toBe('abc…hij');
    expect(shorten('abcdefghij', 8)).toBe('abcd…hij');
  });
});
