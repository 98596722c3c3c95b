/**
 * MCP memory benchmark: what the teammate tools cost a service with one session per conversation.
 * A dispatcher with binding `session: conversation` answers one message in each of N
 * conversations (N session threads loaded on its one app-server); then, with every answer in,
 * the script walks /proc from the service process (this one) and prints:
 * the number of processes and their resident memory (RSS): the service process, its codex
 * app-server, the stdio MCP servers (`mcp/server.js` on the command line; one per loaded thread
 * before issue 15 §2, none since), other descendants (set SB_BENCH_LIST=1 to list them), and the
 * whole tree; and the time from posting the messages to the last answer.
 *
 *   npm run bench:mcp                      # 10 conversations
 *   npm run bench:mcp -- --conversations 20
 *
 * Not a timed test: it prints figures. Exits 1 only on a crash or a missing answer.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { startBenchEnv } from './bench-env.js';
import { startService } from '../src/service.js';
import { descendants, rssOf, type Proc } from './proc-mem.js';

function parseConversations(argv: string[]): number {
  let n = 10;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (flag !== '--conversations') throw new Error(`unknown argument ${flag} (known: --conversations N)`);
    n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--conversations must be an integer ≥ 1, got ${JSON.stringify(value)}`);
  }
  return n;
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

async function main(): Promise<void> {
  const conversations = parseConversations(process.argv.slice(2));
  const env = await startBenchEnv('mcp');
  const { dir, codexHome } = env;
  const logger = silentLogger();
  try {
    const config = parseConfig(
      {
        stateDir: path.join(dir, 'state'),
        codex: { home: codexHome, sandbox: 'read-only' },
        channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
        dispatchers: [{ id: 'main', cwd: path.join(dir, 'workspace'), bindings: [{ channel: 'local', session: 'conversation' }], maxConcurrentTurns: 4 }],
      },
      { file: '<bench>' },
    );
    const service = await startService(config, { logger });
    try {
      const url = service.channels.get('local')?.url;
      const dispatcher = service.dispatchers.get('main');
      if (!url || !dispatcher) throw new Error('the bench service has no web chat or no dispatcher');
      const started = performance.now();
      await Promise.all(
        Array.from({ length: conversations }, async (_, c) => {
          const res = await fetch(`${url}/api/conversations/bench-${c}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text: `hello from conversation ${c}` }),
          });
          if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
        }),
      );
      await dispatcher.whenIdle();
      const seconds = (performance.now() - started) / 1000;
      const answered = Array.from(
        { length: conversations },
        (_, c) => service.store.listWebMessages('local', `bench-${c}`).filter((m) => m.role === 'assistant').length,
      );
      if (answered.some((n) => n !== 1)) throw new Error(`not every conversation was answered once: ${answered.join(', ')}`);
      const loaded = dispatcher.status().sessions.filter((s) => s.loaded).length;
      // codex's own short-lived children (the login shells of its shell snapshot, one per thread)
      // come and go: sample once they are gone, or after 15 s with them counted as "other".
      const isMcp = (p: Proc): boolean => p.cmdline.includes(path.join('mcp', 'server.js'));
      const isAppServer = (p: Proc): boolean => p.cmdline.includes(' app-server ');
      let procs = await descendants(process.pid);
      for (let waited = 0; waited < 15_000 && procs.some((p) => !isMcp(p) && !isAppServer(p)); waited += 250) {
        await new Promise((r) => setTimeout(r, 250));
        procs = await descendants(process.pid);
      }
      if (process.env.SB_BENCH_LIST) for (const p of procs) console.log(p.pid, mib(p.rss), p.cmdline.slice(0, 160));
      const own = (await rssOf(process.pid)) ?? 0;
      const sum = (ps: Proc[]): number => ps.reduce((total, p) => total + p.rss, 0);
      const mcp = procs.filter(isMcp);
      const appServers = procs.filter(isAppServer);
      const other = procs.filter((p) => !isMcp(p) && !isAppServer(p));
      console.log('Switchboard MCP memory benchmark');
      console.log(`  node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), ${process.platform}-${process.arch}`);
      console.log(
        `  1 dispatcher, session: conversation, ${conversations} conversations answered once each in ${seconds.toFixed(2)} s (${loaded} session threads loaded)`,
      );
      console.log('');
      console.log('                                  processes   RSS MiB');
      console.log(`  service (this process)          ${'1'.padStart(9)}   ${mib(own).padStart(7)}`);
      console.log(`  codex app-server                ${String(appServers.length).padStart(9)}   ${mib(sum(appServers)).padStart(7)}`);
      console.log(`  stdio MCP servers (mcp/server.js) ${String(mcp.length).padStart(7)}   ${mib(sum(mcp)).padStart(7)}`);
      console.log(`  other descendants               ${String(other.length).padStart(9)}   ${mib(sum(other)).padStart(7)}`);
      console.log(`  process tree                    ${String(1 + procs.length).padStart(9)}   ${mib(own + sum(procs)).padStart(7)}`);
    } finally {
      await service.stop();
    }
  } finally {
    await env.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
