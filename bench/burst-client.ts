/**
 * The burst bench's load generator (./burst.ts), run as a child process so that its HTTP client
 * does not share the service's event loop: profiled in-process, the client's fetch work was about
 * half of the main thread during the accept phase and made most of the measured "stalls".
 *
 *   node --import tsx bench/burst-client.ts '<BurstClientJob as JSON>'   (forked, with an IPC channel)
 *
 * Sends one {@link BurstClientResult} to the parent and exits 0; a POST that is not answered 202
 * makes it exit 1 (the status and body on stderr).
 */
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';

export interface BurstClientJob {
  /** The web chat's base URL. */
  url: string;
  messages: number;
  conversations: number;
  inFlight: number;
}

export interface BurstClientResult {
  /** ms from each POST's start to its 202, in completion order. */
  accept: number[];
  /** When the first POST started: ms since the epoch (`performance.timeOrigin + performance.now()`, comparable across processes). */
  startedAtEpochMs: number;
  /** ms from the first POST's start until every POST was answered. */
  allAcceptedMs: number;
}

async function run(job: BurstClientJob): Promise<BurstClientResult> {
  const limit = pLimit(job.inFlight);
  const accept: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: job.messages }, (_, i) =>
      limit(async () => {
        const started = performance.now();
        const res = await fetch(`${job.url}/api/conversations/c${i % job.conversations}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: `burst ${i}`, id: `burst-${i}` }),
        });
        const body = await res.text();
        if (res.status !== 202) throw new Error(`POST ${i} answered ${res.status}: ${body}`);
        accept.push(performance.now() - started);
      }),
    ),
  );
  return { accept, startedAtEpochMs: performance.timeOrigin + t0, allAcceptedMs: performance.now() - t0 };
}

run(JSON.parse(process.argv[2] ?? '{}') as BurstClientJob).then(
  (result) => process.send?.(result, () => process.exit(0)),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
