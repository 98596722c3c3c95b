/**
 * Cost of one persisted StateStore mutation (lowdb: JSON.stringify of the whole
 * document, write to a temp file, rename) as the web history grows. Helps read
 * the turn-overhead numbers: every Switchboard turn awaits several such writes.
 *
 *   node --import tsx bench/state-writes.ts
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStateStore } from '../src/state/open.js';
import type { QueuedTurn, WebMessage } from '../src/state/types.js';
import { median } from './stats.js';

const f2 = (v: number): string => v.toFixed(2);

const SAMPLES = 200;
const HISTORY_SIZES = [0, 100, 500];

function webMessage(i: number): WebMessage {
  return {
    id: `web-${i.toString().padStart(8, '0')}-0000-0000-0000-000000000000`,
    role: i % 2 === 0 ? 'user' : 'assistant',
    text: `bench message ${i}: a typical short chat line of roughly this length, maybe a little longer.`,
    createdAt: new Date(1_700_000_000_000 + i).toISOString(),
  };
}

function queued(i: number): QueuedTurn {
  return {
    id: `entry-${i}`,
    dedupKey: `local:web-${i}`,
    kind: 'message',
    address: { channelId: 'local', conversation: 'bench', messageId: `web-${i}` },
    sender: { id: 'web-user' },
    text: `bench message ${i}`,
    acceptedAt: Date.now(),
    attempts: 0,
  };
}

async function main(): Promise<void> {
  console.log(`StateStore write latency (${SAMPLES} samples each; node ${process.version}, ${os.cpus().length} CPUs)`);
  console.log('  history   state.json   mutate→on-disk median   stringify(2-space) median   stringify(compact) median');
  for (const size of HISTORY_SIZES) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-statebench-'));
    try {
      const store = await openStateStore(dir);
      await Promise.all(Array.from({ length: size }, (_, i) => store.appendWebMessage('local', 'bench', webMessage(i), 500)));
      // Mirror a live service: 1000 remembered dedup keys after a while.
      // (Mutations issued together coalesce into few writes.)
      await Promise.all(Array.from({ length: 1000 }, (_, i) => store.enqueue('main', queued(i), 10_000)));
      await Promise.all(Array.from({ length: 1000 }, (_, i) => store.removeQueued('main', `entry-${i}`)));
      const writes: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const t0 = performance.now();
        await store.patchDispatcher('main', { restartCount: i });
        writes.push(performance.now() - t0);
      }
      const file = path.join(dir, 'state.json');
      const bytes = (await stat(file)).size;
      const doc = JSON.parse(await readFile(file, 'utf8')) as unknown;
      const pretty: number[] = [];
      const compact: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        let t = performance.now();
        JSON.stringify(doc, null, 2);
        pretty.push(performance.now() - t);
        t = performance.now();
        JSON.stringify(doc);
        compact.push(performance.now() - t);
      }
      await store.close();
      console.log(
        `  ${String(size).padStart(7)}   ${`${(bytes / 1024).toFixed(1)} KiB`.padStart(10)}   ${f2(median(writes)).padStart(18)} ms` +
          `   ${f2(median(pretty)).padStart(22)} ms   ${f2(median(compact)).padStart(22)} ms`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
