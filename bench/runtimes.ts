/**
 * Runtime economy benchmark (issue 15): what runtimes cost at rest and how fast they come up.
 *
 *   npm run bench:runtimes                       # cold start 1/10/20, memory 10 eager vs 50 lazy, recovery ×5
 *   npm run bench:runtimes -- --cold 1,4 --eager 4 --lazy 20 --kills 3
 *
 * - cold start: a service with N dispatchers, from startService() until every dispatcher is
 *   ready (`codex.startConcurrency` 4), vs N direct app-server starts (spawn, initialize, skill
 *   roots, thread start) four at a time — the same work without Switchboard;
 * - memory at rest: the service process and its whole process tree (app-servers, MCP servers)
 *   with N eager dispatchers, with M `lazyStart` dispatchers (none started), and with the eager
 *   ones after one message each and `idleStopMs` (all stopped again);
 * - recovery: kill -9 of a dispatcher's app-server until the dispatcher is ready again, vs the
 *   restart backoff base plus one direct start (the floor).
 * Prints one line per figure and a summary table. Exits 1 only on a crash.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { startService, type Service } from '../src/service.js';
import { startBenchEnv, type BenchEnv } from './bench-env.js';
import { startDirectAppServer } from './direct-app-server.js';
import { descendants, treeRss } from './proc-mem.js';
import { median, printSummary } from './stats.js';

interface Options {
  cold: number[];
  eager: number;
  lazy: number;
  kills: number;
}

const START_CONCURRENCY = 4;
const BACKOFF_BASE_MS = 1000;

function parseOptions(argv: string[]): Options {
  const opts: Options = { cold: [1, 10, 20], eager: 10, lazy: 50, kills: 5 };
  const int = (raw: string | undefined, what: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${JSON.stringify(raw)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (flag === '--cold') opts.cold = (value ?? '').split(',').map((v) => int(v, flag));
    else if (flag === '--eager') opts.eager = int(value, flag);
    else if (flag === '--lazy') opts.lazy = int(value, flag);
    else if (flag === '--kills') opts.kills = int(value, flag);
    else throw new Error(`unknown argument ${flag} (known: --cold A,B,…, --eager N, --lazy N, --kills N)`);
  }
  return opts;
}

const mib = (bytes: number | null): string => (bytes === null ? '?' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Polls `cond` (which may read /proc asynchronously) every 20 ms (a bench measuring wall time, not a test). */
async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startWith(b: BenchEnv, n: number, dispatcher: Record<string, unknown> = {}): Promise<Service> {
  const config = parseConfig(
    {
      stateDir: path.join(b.dir, `state-${n}-${Date.now()}`),
      codex: { home: b.codexHome, sandbox: 'read-only', startConcurrency: START_CONCURRENCY, restartBackoff: { baseMs: BACKOFF_BASE_MS } },
      channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
      dispatchers: Array.from({ length: n }, (_, i) => ({
        id: `d${i}`,
        cwd: path.join(b.dir, 'workspace'),
        bindings: [{ channel: 'local', conversation: `c${i}` }],
        ...dispatcher,
      })),
    },
    { file: '<bench>' },
  );
  return startService(config, { logger: silentLogger() });
}

const allReady = (s: Service): boolean => [...s.dispatchers.values()].every((d) => d.status().status === 'ready');

/** Live codex app-servers (and anything they started) below this process. */
async function childCount(): Promise<number> {
  return (await descendants(process.pid)).filter((p) => p.cmdline.includes('app-server')).length;
}

/** Own RSS of this process and the RSS of its whole tree. */
async function memory(): Promise<{ own: number; tree: number | null }> {
  return { own: process.memoryUsage().rss, tree: await treeRss(process.pid) };
}

async function coldStart(b: BenchEnv, n: number): Promise<{ switchboardMs: number; directMs: number }> {
  const t0 = performance.now();
  const s = await startWith(b, n);
  await until(() => allReady(s), `${n} dispatchers ready`);
  const switchboardMs = performance.now() - t0;
  await s.stop();
  const limit = pLimit(START_CONCURRENCY);
  const t1 = performance.now();
  const servers = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      limit(() => startDirectAppServer(b.codexHome, path.join(b.dir, 'workspace'), path.join(b.dir, `direct-${n}-${i}.log`), silentLogger())),
    ),
  );
  const directMs = performance.now() - t1;
  await Promise.all(servers.map((x) => x.close()));
  return { switchboardMs, directMs };
}

async function post(s: Service, conversation: string, text: string): Promise<void> {
  const url = s.channels.get('local')?.url;
  const res = await fetch(`${url}/api/conversations/${conversation}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  if (res.status !== 202) throw new Error(`POST answered ${res.status}`);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  console.log('Switchboard runtimes benchmark');
  console.log(
    `  node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), ${(os.totalmem() / 2 ** 30) | 0} GiB, load ${os.loadavg()[0]?.toFixed(1)}`,
  );
  const b = await startBenchEnv('runtimes');
  const summary: Array<[string, string, string, string]> = [];
  try {
    // Cold start.
    for (const n of opts.cold) {
      const r = await coldStart(b, n);
      console.log(
        `cold start ${n}: switchboard ${secs(r.switchboardMs)}, direct ×${START_CONCURRENCY} ${secs(r.directMs)}, ratio ${(r.switchboardMs / r.directMs).toFixed(2)}×`,
      );
      summary.push([`cold start, ${n} dispatcher(s)`, secs(r.switchboardMs), secs(r.directMs), `${(r.switchboardMs / r.directMs).toFixed(2)}×`]);
    }

    // Memory at rest.
    const base = await memory();
    const single = await startWith(b, 1);
    await until(() => allReady(single), 'one dispatcher ready');
    const singleMem = await memory();
    await single.stop();
    const eager = await startWith(b, opts.eager, { idleStopMs: 10_000 });
    await until(() => allReady(eager), 'eager dispatchers ready');
    const eagerMem = await memory();
    for (let i = 0; i < opts.eager; i++) await post(eager, `c${i}`, 'hello');
    await until(() => [...eager.dispatchers.values()].every((d) => d.status().status === 'idle'), 'idle stop of every dispatcher');
    await until(async () => (await childCount()) === 0, 'no app-server left after idle stop', 60_000);
    const stoppedMem = await memory();
    await eager.stop();
    const lazy = await startWith(b, opts.lazy, { lazyStart: true });
    const lazyMem = await memory();
    await lazy.stop();
    const tree = (m: { tree: number | null }): number | null => (m.tree === null || base.tree === null ? null : m.tree - base.tree + base.own);
    console.log(`memory, 1 dispatcher at rest: service ${mib(singleMem.own)}, process tree ${mib(tree(singleMem))}`);
    console.log(`memory, ${opts.eager} eager dispatchers at rest: service ${mib(eagerMem.own)}, process tree ${mib(tree(eagerMem))}`);
    console.log(`memory, the same after one message each and idleStopMs: service ${mib(stoppedMem.own)}, process tree ${mib(tree(stoppedMem))}`);
    console.log(`memory, ${opts.lazy} lazyStart dispatchers at rest: service ${mib(lazyMem.own)}, process tree ${mib(tree(lazyMem))}`);
    // The service's own RSS (children excluded) is this process's: it only grows within one run, so it reads as an upper bound.
    summary.push([
      `memory, service own RSS: 1 / ${opts.eager} eager / ${opts.lazy} lazy`,
      `${mib(singleMem.own)} / ${mib(eagerMem.own)} / ${mib(lazyMem.own)}`,
      '',
      '',
    ]);
    summary.push(['memory, 1 dispatcher (tree)', mib(tree(singleMem)), '', '']);
    summary.push([`memory, ${opts.eager} eager (tree)`, mib(tree(eagerMem)), '', '']);
    summary.push([`memory, ${opts.eager} after idle stop (tree)`, mib(tree(stoppedMem)), '', '']);
    summary.push([`memory, ${opts.lazy} lazy (tree)`, mib(tree(lazyMem)), '', '']);

    // Recovery after kill -9.
    const one = await startWith(b, 1);
    await until(() => allReady(one), 'the dispatcher ready');
    const d = one.dispatchers.get('d0');
    if (!d) throw new Error('no dispatcher d0');
    const recoveries: number[] = [];
    for (let k = 0; k < opts.kills; k++) {
      const pid = d.status().pid;
      if (pid === null) throw new Error('no app-server pid');
      const t0 = performance.now();
      process.kill(pid, 'SIGKILL');
      await until(() => d.status().pid !== pid && d.status().status === 'ready', 'ready after the kill');
      recoveries.push(performance.now() - t0);
      // Let the restart attempt counter reset (a ready runtime starts its backoff from the base again).
      await new Promise((r) => setTimeout(r, 200));
    }
    await one.stop();
    const directStarts: number[] = [];
    for (let k = 0; k < opts.kills; k++) {
      const t0 = performance.now();
      const x = await startDirectAppServer(b.codexHome, path.join(b.dir, 'workspace'), path.join(b.dir, `direct-r-${k}.log`), silentLogger());
      directStarts.push(performance.now() - t0);
      await x.close();
    }
    const floor = BACKOFF_BASE_MS + median(directStarts);
    console.log(
      `recovery after kill -9 (×${opts.kills}): median ${secs(median(recoveries))}; floor = backoff ${BACKOFF_BASE_MS} ms + direct start ${secs(median(directStarts))} = ${secs(floor)}; ratio ${(median(recoveries) / floor).toFixed(2)}×`,
    );
    summary.push(['recovery after kill -9 (median)', secs(median(recoveries)), secs(floor), `${(median(recoveries) / floor).toFixed(2)}×`]);
  } finally {
    await b.close();
  }
  for (const row of summary) printSummary(...row);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
