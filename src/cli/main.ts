#!/usr/bin/env node
/**
 * The `switchboard` command: serve | status | doctor | demo | completion deliver | teammate close | approvals list|approve|decline | config check.
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 bad config/usage, 3 service not running.
 */
import { Command, InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import { AdminApiError, adminRequest, ServiceNotRunningError } from '../admin/client.js';
import { ServiceAlreadyRunningError } from '../admin/server.js';
import type { CompletionRequestBody } from '../admin/completion-route.js';
import type { CloseAnswer, CloseBody } from '../teammates/api.js';
import type { DeliverResult } from '../dispatch/completions.js';
import { ConfigError, loadConfig, stateDirFromEnv } from '../config/load.js';
import { startDemo } from '../demo/run-demo.js';
import { formatDoctor, runDoctor } from '../doctor/checks.js';
import { createLogger, defaultLogFormat, type Logger } from '../log.js';
import { SWITCHBOARD_VERSION } from '../version.js';
import { startService, type ServiceStatus } from '../service.js';
import { DEMO_STATE_DIR, findAdminSocket } from './find-service.js';
import { approvalRows, formatStatusTable } from './format-status.js';
import { errorMessage } from '../errors.js';

const DEFAULT_CONFIG = 'config/switchboard.example.json';

/** Environment variable with the demo's default web chat host (the container image sets `0.0.0.0`). */
const HOST_ENV = 'SWITCHBOARD_HOST';
const DEFAULT_DEMO_HOST = '127.0.0.1';

const EXIT = { ok: 0, failure: 1, config: 2, notRunning: 3 } as const;

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0–65535');
  return n;
}

/** Prints a usage error and exits 2. */
function usage(message: string): never {
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(EXIT.config);
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c: string) => (data += c));
    process.stdin.on('end', () => resolve(data));
    process.stdin.on('error', reject);
  });
}

function describeDelivery(id: string, res: DeliverResult): string {
  switch (res.status) {
    case 'submitted':
      return `completion ${id} submitted (queue position ${res.position})`;
    case 'duplicate':
      return `completion ${id} was already delivered or queued (${res.state}); nothing sent again`;
    case 'failed':
      return `completion ${id} not delivered: ${res.error}`;
    case 'not_stored':
      return `completion ${id} not delivered: ${res.error}; nothing was kept, send it again later`;
    case 'stopped':
      return `completion ${id} not delivered: the dispatcher is stopping`;
  }
}

/** Prints a config error and exits 2; other errors exit 1. */
function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(EXIT.config);
  }
  if (err instanceof ServiceNotRunningError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(EXIT.notRunning);
  }
  process.stderr.write(`switchboard: ${errorMessage(err)}\n`);
  process.exit(EXIT.failure);
}

/** Restates a demo start failure with the demo's own flag as the fix (`--port`, `--state-dir`). */
function demoStartError(err: unknown, port: number): unknown {
  if (err instanceof ServiceAlreadyRunningError) {
    return new Error(
      `a demo is already running with this state dir (${err.socketPath}); stop it, or start a second one with --state-dir <another dir> --port 0`,
      { cause: err },
    );
  }
  if (err instanceof Error && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE') {
    return new Error(`port ${port} is already in use; start the demo on another one with --port <port> (--port 0 picks a free one)`, { cause: err });
  }
  return err;
}

/** Stops the service on SIGINT/SIGTERM, then exits. */
function stopOnSignals(stop: () => Promise<void>, log: Logger): void {
  let stopping = false;
  const handler = (sig: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, 'stopping');
    void stop().then(
      () => process.exit(EXIT.ok),
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        process.exit(EXIT.failure);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

const program = new Command()
  .name('switchboard')
  .description('Chat channels (local web chat, Slack, Feishu/Lark) ↔ OpenAI Codex dispatchers')
  .version(SWITCHBOARD_VERSION, '-V, --version', 'print the version')
  .showHelpAfterError()
  // Usage errors (unknown command or option, missing argument) exit 2; help and --version exit 0.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.config));

program
  .command('serve')
  .description("run the service ($SWITCHBOARD_STATE_DIR, when set, overrides the config's stateDir)")
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .option('--pretty', 'human-readable log lines (default on a terminal; JSON otherwise)')
  .action(async (opts: { config: string; pretty?: boolean }) => {
    try {
      const { config, envNames } = await loadConfig(opts.config);
      const log = createLogger(config.logLevel, undefined, opts.pretty ? 'pretty' : (config.logFormat ?? defaultLogFormat()));
      const service = await startService(config, { logger: log, secretEnv: envNames });
      for (const c of service.channels.values()) {
        if (c.url) log.info({ channel: c.id, url: c.url }, `web chat: ${c.url}`);
      }
      stopOnSignals(() => service.stop(), log);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('status')
  .description('show dispatchers and teammates of the running service')
  .option('-c, --config <file>', 'config file (to find the admin socket; default: the running demo or npm start service)')
  .option('-s, --socket <path>', 'admin socket path (overrides --config)')
  .option('--json', 'print JSON')
  .action(async (opts: { config?: string; socket?: string; json?: boolean }) => {
    try {
      const socket = await findAdminSocket({ ...opts, defaultConfig: DEFAULT_CONFIG });
      const status = await adminRequest<ServiceStatus>(socket, 'GET', '/status');
      process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatusTable(status)}\n`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('demo')
  .description('run with a bundled scripted model (no Codex account needed)')
  .option('-p, --port <port>', 'web chat port (0 = any free port)', parsePort, 8787)
  .option('--host <host>', `web chat host (default: $${HOST_ENV}, else ${DEFAULT_DEMO_HOST})`)
  .option('--state-dir <dir>', `state directory of the demo (default: $SWITCHBOARD_STATE_DIR, else ${DEMO_STATE_DIR})`)
  .option('--pretty', 'human-readable log lines (default on a terminal; JSON otherwise)')
  .action(async (opts: { port: number; host?: string; stateDir?: string; pretty?: boolean }) => {
    try {
      const format = opts.pretty ? 'pretty' : defaultLogFormat();
      const log = createLogger('info', undefined, format);
      // Precedence: the flag, then the environment (set by the container image), then the default.
      const host = opts.host ?? (process.env[HOST_ENV] || DEFAULT_DEMO_HOST);
      const stateDir = opts.stateDir ?? stateDirFromEnv() ?? DEMO_STATE_DIR;
      const demo = await startDemo({ port: opts.port, host, stateDir, logger: log }).catch((err: unknown) => {
        throw demoStartError(err, opts.port);
      });
      log.info({ url: demo.url, adminSocket: demo.service.adminSocket }, `demo ready: open ${demo.openUrl} (replies come from a scripted model)`);
      // A person at a terminal should not have to find the URL among the log lines.
      if (format === 'pretty')
        process.stdout.write(`\n  \u001b[1m➜  Open ${demo.openUrl} in your browser\u001b[0m  (status: npx switchboard status · stop: Ctrl-C)\n\n`);
      stopOnSignals(() => demo.stop(), log);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('completion')
  .description('completions for dispatchers')
  .command('deliver')
  .description("deliver a completion (an external agent's result) to a dispatcher of the running service")
  .requiredOption('-d, --dispatcher <id>', 'dispatcher id')
  .requiredOption('-i, --id <id>', 'completion id (a replay of the same id is accepted once)')
  .option('-t, --text <text>', 'completion text')
  .option('-f, --text-file <file>', 'read the completion text from a file (- = stdin)')
  .option('--status <status>', 'completed | failed | interrupted', 'completed')
  .option('--teammate <name>', 'name of the agent that did the work')
  .option('--channel <id>', 'channel of the conversation the answer goes to')
  .option('--conversation <id>', 'conversation the answer goes to (with --channel)')
  .option('--thread <id>', 'thread/message to answer under (Slack ts, Feishu message id)')
  .option('-c, --config <file>', 'config file (to find the admin socket; default: the running demo or npm start service)')
  .option('-s, --socket <path>', 'admin socket path (overrides --config)')
  .option('--json', 'print the JSON answer')
  .action(
    async (opts: {
      dispatcher: string;
      id: string;
      text?: string;
      textFile?: string;
      status: string;
      teammate?: string;
      channel?: string;
      conversation?: string;
      thread?: string;
      config?: string;
      socket?: string;
      json?: boolean;
    }) => {
      try {
        if ((opts.text === undefined) === (opts.textFile === undefined)) usage('give exactly one of --text and --text-file');
        if ((opts.channel === undefined) !== (opts.conversation === undefined)) usage('--channel and --conversation go together');
        const text = opts.text ?? (opts.textFile === '-' ? await readStdin() : await readFile(opts.textFile!, 'utf8'));
        const body: CompletionRequestBody = { dispatcher: opts.dispatcher, id: opts.id, text, status: opts.status as CompletionRequestBody['status'] };
        if (opts.teammate) body.teammate = opts.teammate;
        if (opts.channel && opts.conversation) {
          body.origin = { channel: opts.channel, conversation: opts.conversation };
          if (opts.thread) body.origin.thread = opts.thread;
        }
        const socket = await findAdminSocket({ ...opts, defaultConfig: DEFAULT_CONFIG });
        const res = await adminRequest<DeliverResult>(socket, 'POST', '/completions', { body, timeoutMs: 30_000 });
        process.stdout.write(opts.json ? `${JSON.stringify(res)}\n` : `${describeDelivery(opts.id, res)}\n`);
      } catch (err) {
        if (err instanceof AdminApiError) {
          const b = err.body as { error?: string };
          process.stderr.write(`switchboard: completion ${opts.id} not delivered: ${b.error ?? err.message}\n`);
          process.exit(err.status === 404 || err.status === 400 || err.status === 413 ? EXIT.config : EXIT.failure);
        }
        fail(err);
      }
    },
  );

const approvalsCmd = program.command('approvals').description('approvals and questions Codex asks in chat, waiting for an answer');

approvalsCmd
  .command('list')
  .description('list pending approvals (id, dispatcher, age, where, what is asked)')
  .option('-c, --config <file>', 'config file (to find the admin socket; default: the running demo or npm start service)')
  .option('-s, --socket <path>', 'admin socket path (overrides --config)')
  .option('--json', 'print the JSON answer')
  .action(async (opts: { config?: string; socket?: string; json?: boolean }) => {
    try {
      const socket = await findAdminSocket({ ...opts, defaultConfig: DEFAULT_CONFIG });
      const res = await adminRequest<{ approvals: ServiceStatus['approvals'] }>(socket, 'GET', '/approvals');
      if (opts.json) process.stdout.write(`${JSON.stringify(res)}\n`);
      else process.stdout.write(res.approvals.length === 0 ? 'no pending approvals\n' : `${approvalRows(res.approvals).join('\n')}\n`);
    } catch (err) {
      fail(err);
    }
  });

for (const answer of ['approve', 'decline'] as const) {
  approvalsCmd
    .command(answer)
    .argument('<id>', 'approval id (see `switchboard approvals list`)')
    .description(answer === 'approve' ? 'approve a pending request as an operator (its approving answer)' : 'decline a pending request as an operator')
    .option('-c, --config <file>', 'config file (to find the admin socket; default: the running demo or npm start service)')
    .option('-s, --socket <path>', 'admin socket path (overrides --config)')
    .action(async (id: string, opts: { config?: string; socket?: string }) => {
      try {
        const socket = await findAdminSocket({ ...opts, defaultConfig: DEFAULT_CONFIG });
        const res = await adminRequest<{ text: string }>(socket, 'POST', `/approvals/${encodeURIComponent(id)}/${answer}`);
        process.stdout.write(`${res.text}\n`);
      } catch (err) {
        if (err instanceof AdminApiError) {
          const b = err.body as { message?: string };
          process.stderr.write(`switchboard: ${b.message ?? err.message}\n`);
          process.exit(err.status === 404 || err.status === 409 ? EXIT.config : EXIT.failure);
        }
        fail(err);
      }
    });
}

const teammate = program.command('teammate').description('teammates of the running service (listed by `switchboard status`)');

teammate
  .command('close')
  .argument('<name>', 'teammate name')
  .description('close a teammate: stop its runtime for good (a running task is reported to its dispatcher as interrupted)')
  .option('-c, --config <file>', 'config file (to find the admin socket; default: the running demo or npm start service)')
  .option('-s, --socket <path>', 'admin socket path (overrides --config)')
  .option('--json', 'print the JSON answer')
  .action(async (name: string, opts: { config?: string; socket?: string; json?: boolean }) => {
    try {
      const socket = await findAdminSocket({ ...opts, defaultConfig: DEFAULT_CONFIG });
      const body: CloseBody = { name };
      const res = await adminRequest<CloseAnswer>(socket, 'POST', '/teammates/close', { body, timeoutMs: 60_000 });
      if (opts.json) process.stdout.write(`${JSON.stringify(res)}\n`);
      else if (res.status === 'already_closed') process.stdout.write(`teammate ${name} was already closed\n`);
      else {
        const extra = [
          res.interruptedTask ? 'its running task was cut off (reported to its dispatcher)' : '',
          res.droppedTasks ? `${res.droppedTasks} queued task(s) dropped` : '',
        ]
          .filter(Boolean)
          .join('; ');
        process.stdout.write(`teammate ${name} closed${extra ? `: ${extra}` : ''}\n`);
      }
    } catch (err) {
      if (err instanceof AdminApiError) {
        const b = err.body as { message?: string };
        process.stderr.write(`switchboard: ${b.message ?? err.message}\n`);
        process.exit(err.status === 404 || err.status === 400 ? EXIT.config : EXIT.failure);
      }
      fail(err);
    }
  });

program
  .command('doctor')
  .description('check everything a run needs (Node, codex, credentials, config, state dir, ports, Slack/Feishu tokens); exit 0 only when all pass')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .option('--json', 'print JSON')
  .action(async (opts: { config: string; json?: boolean }) => {
    const results = await runDoctor(opts.config);
    process.stdout.write(opts.json ? `${JSON.stringify({ ok: results.every((r) => r.ok), checks: results }, null, 2)}\n` : `${formatDoctor(results)}\n`);
    process.exit(results.every((r) => r.ok) ? EXIT.ok : EXIT.failure);
  });

program
  .command('config')
  .description('config file tools')
  .command('check')
  .argument('<file>', 'config file')
  .description('validate a config file')
  .action(async (file: string) => {
    try {
      const { config, file: abs } = await loadConfig(file);
      process.stdout.write(
        `${abs}: ok — ${config.channels.length} channel(s) [${config.channels.map((c) => `${c.id}:${c.type}`).join(', ')}], ` +
          `${config.dispatchers.length} dispatcher(s) [${config.dispatchers.map((d) => d.id).join(', ')}], state in ${config.stateDir}\n`,
      );
    } catch (err) {
      fail(err);
    }
  });

await program.parseAsync(process.argv);
