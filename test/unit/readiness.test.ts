import { describe, expect, it } from 'vitest';
import { readinessOf } from '../../src/health/readiness.js';

describe('readinessOf', () => {
  const ready = [{ id: 'main', status: 'ready' }];

  it('reports a channel by its lifecycle until started, then by its connection', () => {
    const r = readinessOf(ready, [
      { id: 'a', type: 'web', lifecycle: 'starting' },
      { id: 'b', type: 'slack', lifecycle: 'started', connection: 'reconnecting' },
      { id: 'c', type: 'web', lifecycle: 'started' },
      { id: 'd', type: 'feishu', lifecycle: 'stopped', connection: 'connected' },
    ]);
    expect(r.channels).toEqual([
      { id: 'a', type: 'web', state: 'starting' },
      { id: 'b', type: 'slack', state: 'reconnecting' },
      { id: 'c', type: 'web', state: 'connected' },
      { id: 'd', type: 'feishu', state: 'stopped' },
    ]);
    expect(r.ready).toBe(false);
  });

  it('is ready only when every dispatcher is ready and every channel is started and connected', () => {
    const connected = { id: 's', type: 'slack', lifecycle: 'started' as const, connection: 'connected' as const };
    expect(readinessOf(ready, [connected, { id: 'w', type: 'web', lifecycle: 'started' }]).ready).toBe(true);
    for (const connection of ['connecting', 'reconnecting', 'disconnected'] as const) {
      expect(readinessOf(ready, [{ ...connected, connection }]).ready).toBe(false);
    }
    expect(readinessOf([{ id: 'main', status: 'retrying' }], [connected]).ready).toBe(false);
  });
});
