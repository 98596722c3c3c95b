/**
 * Sessions benchmark: many conversations of one dispatcher, each its own session (binding
 * `session: conversation`, so each its own Codex thread on the one app-server), answered with
 * `maxConcurrentTurns` 1 and then 4. Prints turns per second and the resident memory of the
 * service process and of its codex app-server child.
 *
 *   npm run bench:sessions                          # 50 conversations, 1 message each, model 200 ms
 *   npm run bench:sessions -- --conversations 20 --messages 2 --model-ms 500 --concurrency 1,2,4,8
 *
 * The scripted model answers every request after `--model-ms` (a stand-in for a real model's
 * latency; with 0 the figures measure codex and Switchboard alone). Each run starts a fresh
 * service and state dir; all messages are posted at once through the web chat's HTTP API, and the
 * clock stops when the dispatcher is idle with every message answered. Sessions keep their default
 * limits (at most 20 threads loaded; beyond that the least recently active idle one is unloaded).
 * Exits 1 only on a crash.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { startBenchEnv } from './bench-env.js';
import { startService } from '../src/service.js';
import { rssOf, treeRss } from './proc-mem.js';
import { printSummary } from './stats.js';

interface Options {
  conversations: number;
  messages: number;
  modelMs: number;
  concurrency: number[];
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { conversations: 50, messages: 1, modelMs: 200, concurrency: [1, 4] };
  const int = (raw: string | undefined, what: string, min: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${what} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (flag === '--conversations') opts.conversations = int(value, flag, 1);
    else if (flag === '--messages') opts.messages = int(value, flag, 1);
    else if (flag === '--model-ms') opts.modelMs = int(value, flag, 0);
    else if (flag === '--concurrency') opts.concurrency = (value ?? '').split(',').map((v) => int(v, flag, 1));
    else throw new Error(`unknown argument ${flag} (known: --conversations N, --messages N, --model-ms N, --concurrency A,B,…)`);
  }
  return opts;
}

const mib = (bytes: number | null): string => (bytes === null ? '?' : (bytes / 2 ** 20).toFixed(0));

interface RunResult {
  turns: number;
  seconds: number;
  serviceRssPeak: number;
  codexRssPeak: number | null;
  /** The app-server and everything it started (its commands and shells; the teammate tools start no process). */
  treeRssPeak: number | null;
}

async function runOnce(opts: Options, maxConcurrentTurns: number): Promise<RunResult> {
  const env = await startBenchEnv('sessions', { kind: 'reply', text: 'ok', delayMs: opts.modelMs });
  const { dir, codexHome } = env;
  const logger = silentLogger();
  try {
    const config = parseConfig(
      {
        stateDir: path.join(dir, 'state'),
        codex: { home: codexHome, sandbox: 'read-only' },
        channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
        dispatchers: [
          {
            id: 'main',
            cwd: path.join(dir, 'workspace'),
            bindings: [{ channel: 'local', session: 'conversation' }],
            maxConcurrentTurns,
            queueLimit: opts.conversations * opts.messages + 10,
          },
        ],
      },
      { file: '<bench>' },
    );
    const service = await startService(config, { logger });
    try {
      const url = service.channels.get('local')?.url;
      const dispatcher = service.dispatchers.get('main');
      if (!url || !dispatcher) throw new Error('the bench service has no web chat or no dispatcher');
      let serviceRssPeak = process.memoryUsage().rss;
      let codexRssPeak: number | null = null;
      let treeRssPeak: number | null = null;
      const sample = async (): Promise<void> => {
        serviceRssPeak = Math.max(serviceRssPeak, process.memoryUsage().rss);
        const pid = dispatcher.status().pid;
        const rss = pid === null ? null : await rssOf(pid);
        if (rss !== null) codexRssPeak = Math.max(codexRssPeak ?? 0, rss);
        const tree = pid === null ? null : await treeRss(pid);
        if (tree !== null) treeRssPeak = Math.max(treeRssPeak ?? 0, tree);
      };
      const sampler = setInterval(() => void sample(), 250);
      const start = performance.now();
      const posts: Promise<void>[] = [];
      for (let m = 0; m < opts.messages; m++) {
        for (let c = 0; c < opts.conversations; c++) {
          posts.push(
            fetch(`${url}/api/conversations/bench-${c}/messages`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ text: `message ${m} of conversation ${c}` }),
            }).then(async (res) => {
              if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
            }),
          );
        }
        // Messages of one conversation arrive in order; conversations interleave.
        await Promise.all(posts.splice(0));
      }
      await dispatcher.whenIdle();
      const seconds = (performance.now() - start) / 1000;
      clearInterval(sampler);
      await sample();
      const answered = await env.modelRequests();
      const turns = opts.conversations * opts.messages;
      if (answered < turns) throw new Error(`only ${answered} model requests for ${turns} turns`);
      return { turns, seconds, serviceRssPeak, codexRssPeak, treeRssPeak };
    } finally {
      await service.stop();
    }
  } finally {
    await env.close();
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  console.log('Switchboard sessions benchmark');
  console.log(`  node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), ${process.platform}-${process.arch}`);
  console.log(
    `  ${opts.conversations} conversations (session: conversation) × ${opts.messages} message(s), posted at once; scripted model answers after ${opts.modelMs} ms`,
  );
  console.log('');
  console.log('RSS peaks in MiB: the service process; its codex app-server; the app-server with all it started (commands, shells)');
  console.log('maxConcurrentTurns  turns  seconds  turns/s  service  app-server  app-server tree');
  for (const n of opts.concurrency) {
    const r = await runOnce(opts, n);
    printSummary(`sessions: ${opts.conversations} conversations, maxConcurrentTurns ${n}`, `${(r.turns / r.seconds).toFixed(2)} turns/s`, '', '');
    console.log(
      `${String(n).padStart(18)}  ${String(r.turns).padStart(5)}  ${r.seconds.toFixed(2).padStart(7)}  ${(r.turns / r.seconds).toFixed(2).padStart(7)}  ${mib(r.serviceRssPeak).padStart(7)}  ${mib(r.codexRssPeak).padStart(10)}  ${mib(r.treeRssPeak).padStart(15)}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
