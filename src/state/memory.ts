/**
 * A `StateStore` held in memory: the same `LowdbStateStore` code over lowdb's `Memory` adapter and
 * memory-only web journals, so queue, dedup and history semantics are the ones the service runs;
 * nothing touches the disk. For fast tests of the layers above the store (and for tools that need
 * no persistence).
 */
import { Low, Memory } from 'lowdb';
import { systemClock, type Clock } from '../clock.js';
import { LowdbStateStore } from './lowdb-store.js';
import { STATE_VERSION, type StateData, type StateStore } from './types.js';
import { WebJournal } from './web-journal.js';

/** A fresh, empty store; `location` is `memory:`. */
export function openMemoryStateStore(opts: { seenLimit?: number; clock?: Clock } = {}): StateStore {
  const fresh: StateData = { version: STATE_VERSION, dispatchers: {}, queue: {}, seen: {}, web: {} };
  const db = new Low<StateData>(new Memory<StateData>(), fresh);
  return new LowdbStateStore(db, 'memory:', {
    seenLimit: opts.seenLimit ?? 1000,
    clock: opts.clock ?? systemClock,
    webJournals: new Map(),
    createWebJournal: (channelId) => new WebJournal(channelId, null, null),
  });
}
