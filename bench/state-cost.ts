/**
 * State cost as the web history grows (issue 15 §5, §6): the latency of one accepted web message
 * — `appendWebMessage` of the user's message and `enqueue` of its turn, issued in the same tick as
 * the web channel does (src/channels/web/api/handlers.ts) — at 0, 10k and 100k stored messages,
 * and the state directory's size after 100k messages.
 *
 *   npm run bench:state
 *
 * Stored messages are spread over conversations of 500 (the default `historyLimit`); the accepts
 * go one at a time (each awaited: the latency a lone sender sees) into one of those conversations,
 * each followed by the `removeQueued` a finished turn does; 1,000 dedup keys are remembered, as
 * in a service that has run a while. Printed per size: until the queue entry is on disk (what the
 * 202 waits for) and until both are (median, p99), and the longest event-loop stall.
 *
 * Baseline, in the same run: the history kept as before this journal, one `web-<channel>.json`
 * rewritten whole (lowdb, 2-space JSON, temp + rename) after the queue write, as the old store's
 * shared write lane ordered them. Fewer accepts at the larger sizes (it is slow: that is the point).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Low } from 'lowdb';
import { PrivateJsonFile } from '../src/state/private-files.js';
import { openStateStore } from '../src/state/open.js';
import type { QueuedTurn, StateStore, WebMessage } from '../src/state/types.js';
import { median, percentile, printSummary } from './stats.js';

const LIMIT = 500;
const SIZES = [0, 10_000, 100_000];
const ACCEPTS = 1000;
/** Accepts of the old whole-file baseline per size. */
const LEGACY_ACCEPTS: Record<number, number> = { 0: 1000, 10000: 200, 100000: 30 };

function webMessage(i: number, role: WebMessage['role'] = i % 2 === 0 ? 'user' : 'assistant'): WebMessage {
  return {
    id: `web-${i.toString().padStart(8, '0')}-0000-0000-0000-000000000000`,
    role,
    text: `bench message ${i}: a typical short chat line of roughly this length, maybe a little longer.`,
    createdAt: new Date(1_700_000_000_000 + i).toISOString(),
  };
}

function queued(i: number, conversation: string): QueuedTurn {
  return {
    id: `entry-${i}`,
    dedupKey: `local:${conversation}:web-${i}`,
    kind: 'message',
    address: { channelId: 'local', conversation, messageId: `web-${i}` },
    sender: { id: 'web-user' },
    text: `bench message ${i}`,
    acceptedAt: Date.now(),
    attempts: 0,
  };
}

interface Accepts {
  n: number;
  /** ms until the queue entry is on disk (the 202). */
  queued: number[];
  /** ms until both writes are on disk. */
  both: number[];
  /** Longest event-loop stall during the accepts, ms. */
  stall: number;
}

async function dirBytes(dir: string): Promise<number> {
  let sum = 0;
  for (const name of await readdir(dir)) sum += (await stat(path.join(dir, name))).size;
  return sum;
}

/** Runs `n` accepts; `append` issues the history write of message `i` and returns its promise. */
async function accepts(store: StateStore, n: number, append: (m: WebMessage) => Promise<void>, after: 'parallel' | 'after-queue'): Promise<Accepts> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const result: Accepts = { n, queued: [], both: [], stall: 0 };
  loop.enable();
  for (let i = 0; i < n; i++) {
    const id = 1_000_000 + i;
    const t0 = performance.now();
    let history: Promise<void> | undefined;
    if (after === 'parallel') history = append(webMessage(id, 'user'));
    await store.enqueue('main', queued(id, 'c0'), 10_000);
    result.queued.push(performance.now() - t0);
    await (history ?? append(webMessage(id, 'user')));
    result.both.push(performance.now() - t0);
    await store.removeQueued('main', `entry-${id}`);
  }
  loop.disable();
  result.stall = loop.max / 1e6;
  return result;
}

/** A store with 1,000 remembered dedup keys. */
async function storeWithSeenKeys(dir: string): Promise<StateStore> {
  const store = await openStateStore(dir);
  await Promise.all(Array.from({ length: 1000 }, (_, i) => store.enqueue('main', queued(i, 'warm'), 10_000)));
  await Promise.all(Array.from({ length: 1000 }, (_, i) => store.removeQueued('main', `entry-${i}`)));
  return store;
}

async function journalRun(size: number): Promise<{ a: Accepts; bytes: number; reopenMs: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-bench-state-'));
  try {
    const store = await storeWithSeenKeys(dir);
    for (let from = 0; from < size; from += 1000) {
      const batch = Array.from({ length: Math.min(1000, size - from) }, (_, k) => from + k);
      await Promise.all(batch.map((i) => store.appendWebMessage('local', `c${Math.floor(i / LIMIT)}`, webMessage(i), LIMIT)));
    }
    const a = await accepts(store, ACCEPTS, (m) => store.appendWebMessage('local', 'c0', m, LIMIT), 'parallel');
    await store.close();
    const bytes = await dirBytes(dir);
    const t0 = performance.now();
    const again = await openStateStore(dir);
    const reopenMs = performance.now() - t0;
    await again.close();
    return { a, bytes, reopenMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The baseline: the same accepts with the history in one whole-file `web-local.json`, written after the queue write. */
async function legacyRun(size: number): Promise<{ a: Accepts; bytes: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-bench-state-old-'));
  try {
    const store = await storeWithSeenKeys(path.join(dir, 'state'));
    const conversations: Record<string, WebMessage[]> = {};
    for (let i = 0; i < size; i++) {
      const c = `c${Math.floor(i / LIMIT)}`;
      conversations[c] = [...(conversations[c] ?? []), webMessage(i)];
    }
    const db = new Low(
      new PrivateJsonFile<{ version: number; channel: string; conversations: Record<string, WebMessage[]> }>(path.join(dir, 'web-local.json')),
      {
        version: 1,
        channel: 'local',
        conversations,
      },
    );
    await db.write();
    const append = (m: WebMessage): Promise<void> => {
      const list = [...(db.data.conversations.c0 ?? []), m].slice(-LIMIT);
      db.data.conversations = { ...db.data.conversations, c0: list };
      return db.write();
    };
    const a = await accepts(store, LEGACY_ACCEPTS[size] ?? 100, append, 'after-queue');
    await store.close();
    return { a, bytes: (await dirBytes(dir)) + (await dirBytes(path.join(dir, 'state'))) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Size of the journal after `total` appends into one conversation (limit 500): compaction keeps it bounded. */
async function oneConversation(total: number): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-bench-state-one-'));
  try {
    const store = await openStateStore(dir);
    for (let from = 0; from < total; from += 1000) {
      await Promise.all(Array.from({ length: 1000 }, (_, k) => store.appendWebMessage('local', 'busy', webMessage(from + k), LIMIT)));
    }
    await store.close();
    return (await stat(path.join(dir, 'web-local.jsonl'))).size;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const f1 = (v: number): string => v.toFixed(1);
const f2 = (v: number): string => v.toFixed(2);
const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(2)} MiB`;
/** `a / b` with two significant digits (0.0024×, 0.32×). */
const ratio = (a: number, b: number): string => `${Number((a / b).toPrecision(2))}×`;
const label = (size: number): string => (size === 0 ? '0' : `${size / 1000}k`);

async function main(): Promise<void> {
  console.log('State cost: one accepted web message (history append + queue entry) as the history grows');
  console.log(`  node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), load ${os.loadavg()[0]?.toFixed(1)}`);
  console.log(`  stored messages in conversations of ${LIMIT}; accepts one at a time into one of them; 1,000 dedup keys remembered`);
  console.log('  stored   store                 n   queued med/p99 ms   both med/p99 ms   longest stall   state dir');
  let journalAt100k = 0;
  let legacyAt100k = 0;
  for (const size of SIZES) {
    const now = await journalRun(size);
    const old = await legacyRun(size);
    for (const [name, r, bytes] of [
      ['journal (this)', now.a, now.bytes],
      ['old web-local.json', old.a, old.bytes],
    ] as const) {
      console.log(
        `  ${label(size).padStart(6)}   ${name.padEnd(19)} ${String(r.n).padStart(5)}   ${`${f2(median(r.queued))} / ${f2(percentile(r.queued, 0.99))}`.padStart(17)}` +
          `   ${`${f2(median(r.both))} / ${f2(percentile(r.both, 0.99))}`.padStart(15)}   ${`${f1(r.stall)} ms`.padStart(13)}   ${mib(bytes)}`,
      );
    }
    console.log(`           reopen of the journal store: ${f1(now.reopenMs)} ms`);
    printSummary(
      `state: accept median / p99, ${label(size)} stored messages`,
      `${f2(median(now.a.both))} / ${f2(percentile(now.a.both, 0.99))} ms`,
      `${f2(median(old.a.both))} / ${f2(percentile(old.a.both, 0.99))} ms old whole file`,
      ratio(median(now.a.both), median(old.a.both)),
    );
    if (size === 100_000) {
      journalAt100k = now.bytes;
      legacyAt100k = old.bytes;
    }
  }
  const one = await oneConversation(100_000);
  console.log(`  journal after 100k appends into one conversation (limit ${LIMIT}): ${mib(one)} (compacted; ${LIMIT} messages kept)`);
  printSummary('state: state dir after 100k stored messages', mib(journalAt100k), `${mib(legacyAt100k)} old whole file`, ratio(journalAt100k, legacyAt100k));
  printSummary(`state: journal after 100k messages in one conversation (limit ${LIMIT})`, mib(one));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
