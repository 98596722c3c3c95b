/**
 * Burst benchmark (issue 15): many messages over many conversations and dispatchers, as fast as
 * the web API takes them.
 *
 *   npm run bench:burst                                  # 1,000 messages, 50 conversations, 10 dispatchers
 *   npm run bench:burst -- --messages 200 --conversations 20 --dispatchers 4 --in-flight 32
 *
 * Each dispatcher is bound to conversations `c<i>` with i ≡ its index (mod dispatchers); messages
 * go round-robin over the conversations, at most `--in-flight` POSTs open at once, sent from a
 * child process (./burst-client.ts) so the client's own work does not block the service's event
 * loop. Prints: accept latency (POST → 202) p50/p99, the longest stall of the service's event
 * loop (perf_hooks monitorEventLoopDelay; the scripted model runs in a child process) during the burst,
 * the CPU time of the process (user + system: the service alone, the codex children and the
 * model excluded; less sensitive to other load on the machine than the latencies), time until
 * every message is answered, turns/s, and per message id
 * how many answers came (once / twice / never). The floor: the same number of turns on as many
 * direct app-servers, each running its share one turn at a time (as one dispatcher does).
 * Scripted model, no model delay. Exits 1 only on a crash.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fork } from 'node:child_process';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { startService } from '../src/service.js';
import { startBenchEnv } from './bench-env.js';
import type { BurstClientJob, BurstClientResult } from './burst-client.js';
import { startDirectAppServer, type DirectAppServer } from './direct-app-server.js';
import { percentile, printSummary } from './stats.js';

interface Options {
  messages: number;
  conversations: number;
  dispatchers: number;
  inFlight: number;
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { messages: 1000, conversations: 50, dispatchers: 10, inFlight: 64 };
  const keys: Record<string, keyof Options> = {
    '--messages': 'messages',
    '--conversations': 'conversations',
    '--dispatchers': 'dispatchers',
    '--in-flight': 'inFlight',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = keys[argv[i] ?? ''];
    const n = Number(argv[++i]);
    if (!key) throw new Error(`unknown argument ${argv[i - 1]} (known: ${Object.keys(keys).join(', ')})`);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${argv[i - 1]} must be a positive integer`);
    opts[key] = n;
  }
  return opts;
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;

/** Sends the burst from a child process (./burst-client.ts); resolves with its result, rejects when a POST failed. */
function postFromClient(job: BurstClientJob): Promise<BurstClientResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./burst-client.ts', import.meta.url)), [JSON.stringify(job)], { execArgv: ['--import', 'tsx'] });
    let result: BurstClientResult | undefined;
    child.once('message', (m: BurstClientResult) => {
      result = m;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      result && code === 0 ? resolve(result) : reject(new Error(`burst client exited ${code}${result ? '' : ' without a result'}`)),
    );
  });
}

/** Runs `turns` turns on one direct app-server, one after another; resolves when all completed. */
async function directTurns(server: DirectAppServer, turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) {
    const done = new Promise<void>((resolve, reject) => {
      const off = server.rpc.onNotification((n) => {
        if (n.method !== 'turn/completed' || n.params.threadId !== server.threadId) return;
        off();
        if (n.params.turn.status === 'completed') resolve();
        else reject(new Error(`direct turn ended ${n.params.turn.status}`));
      });
    });
    await server.rpc.request('turn/start', { threadId: server.threadId, input: [{ type: 'text', text: `direct ${i}`, text_elements: [] }] });
    await done;
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  console.log('Switchboard burst benchmark');
  console.log(`  node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), load ${os.loadavg()[0]?.toFixed(1)}`);
  console.log(
    `  ${opts.messages} messages over ${opts.conversations} conversations and ${opts.dispatchers} dispatchers, ≤ ${opts.inFlight} POSTs in flight; scripted model, no delay`,
  );
  const env = await startBenchEnv('burst');
  const { dir, codexHome } = env;
  try {
    const config = parseConfig(
      {
        stateDir: path.join(dir, 'state'),
        codex: { home: codexHome, sandbox: 'read-only' },
        channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0', historyLimit: opts.messages * 2 }],
        dispatchers: Array.from({ length: opts.dispatchers }, (_, d) => ({
          id: `d${d}`,
          cwd: path.join(dir, 'workspace'),
          queueLimit: opts.messages,
          bindings: Array.from({ length: opts.conversations }, (_, c) => c)
            .filter((c) => c % opts.dispatchers === d)
            .map((c) => ({ channel: 'local', conversation: `c${c}` })),
        })),
      },
      { file: '<bench>' },
    );
    const service = await startService(config, { logger: silentLogger() });
    const url = service.channels.get('local')?.url;
    if (!url) throw new Error('no web chat');
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const { accept, startedAtEpochMs, allAcceptedMs } = await postFromClient({
      url,
      messages: opts.messages,
      conversations: opts.conversations,
      inFlight: opts.inFlight,
    });
    // The burst's start on this process's clock (the client's start-up is not part of it).
    const t0 = startedAtEpochMs - performance.timeOrigin;
    const acceptedAt = t0 + allAcceptedMs;
    const cpuAccept = process.cpuUsage(cpu0);
    await Promise.all([...service.dispatchers.values()].map((d) => d.whenIdle()));
    const doneAt = performance.now();
    const cpuAll = process.cpuUsage(cpu0);
    loop.disable();
    const modelRequests = await env.modelRequests();
    const replies = new Map<string, number>();
    for (let c = 0; c < opts.conversations; c++)
      for (const m of service.store.listWebMessages('local', `c${c}`))
        if (m.role === 'assistant' && m.replyTo) replies.set(m.replyTo, (replies.get(m.replyTo) ?? 0) + 1);
    const counts = { once: 0, twice: 0, never: 0 };
    for (let i = 0; i < opts.messages; i++) {
      const n = replies.get(`burst-${i}`) ?? 0;
      if (n === 0) counts.never++;
      else if (n === 1) counts.once++;
      else counts.twice++;
    }
    await service.stop();
    const seconds = (doneAt - t0) / 1000;
    console.log(
      `accept (POST → 202): p50 ${ms(percentile(accept, 0.5))}, p99 ${ms(percentile(accept, 0.99))}, max ${ms(Math.max(...accept))}; all accepted after ${((acceptedAt - t0) / 1000).toFixed(2)} s`,
    );
    const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
    console.log(
      `service process CPU (codex children and the model excluded): ${(cpuMs(cpuAccept) / 1000).toFixed(2)} s until all accepted, ${(cpuMs(cpuAll) / 1000).toFixed(2)} s until all answered (${(cpuMs(cpuAll) / opts.messages).toFixed(1)} ms per message)`,
    );
    console.log(`event loop: longest stall ${ms(loop.max / 1e6)}, p99 ${ms(loop.percentile(99) / 1e6)}`);
    console.log(
      `answered: once ${counts.once}, twice ${counts.twice}, never ${counts.never}; all answered after ${seconds.toFixed(2)} s (${(opts.messages / seconds).toFixed(1)} turns/s; ${modelRequests} model requests)`,
    );

    // The floor: the same turns on as many direct app-servers, each one turn at a time.
    const servers = await Promise.all(
      Array.from({ length: opts.dispatchers }, (_, d) =>
        startDirectAppServer(codexHome, path.join(dir, 'workspace'), path.join(dir, `direct-${d}.log`), silentLogger()),
      ),
    );
    const per = Math.ceil(opts.messages / opts.dispatchers);
    const f0 = performance.now();
    await Promise.all(servers.map((s) => directTurns(s, per)));
    const floor = (performance.now() - f0) / 1000;
    await Promise.all(servers.map((s) => s.close()));
    console.log(
      `floor: ${per * opts.dispatchers} turns on ${opts.dispatchers} direct app-servers in ${floor.toFixed(2)} s (${((per * opts.dispatchers) / floor).toFixed(1)} turns/s); Switchboard throughput ${((opts.messages / seconds / ((per * opts.dispatchers) / floor)) * 1).toFixed(2)}× the floor`,
    );
    printSummary('burst: accept p50 / p99', `${ms(percentile(accept, 0.5))} / ${ms(percentile(accept, 0.99))}`, '≤ 100 ms p99 target');
    printSummary('burst: longest event-loop stall', ms(loop.max / 1e6), '≤ 100 ms target');
    printSummary('burst: service CPU per message (codex children, model excluded)', `${(cpuMs(cpuAll) / opts.messages).toFixed(1)} ms`);
    printSummary('burst: answered once / twice / never', `${counts.once} / ${counts.twice} / ${counts.never}`, `${opts.messages} / 0 / 0`);
    printSummary(
      'burst: turns/s',
      (opts.messages / seconds).toFixed(1),
      `${((per * opts.dispatchers) / floor).toFixed(1)} direct`,
      `${(opts.messages / seconds / ((per * opts.dispatchers) / floor)).toFixed(2)}×`,
    );
  } finally {
    await env.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
