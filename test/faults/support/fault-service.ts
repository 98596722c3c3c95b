/**
 * `switchboard serve` as a child process for fault injection: the built CLI with a config file,
 * the real codex app-server on the scripted model (test/support/codex-env.ts), a web channel with
 * one dispatcher per conversation `c0`…, and optionally a Slack HTTP channel (fake Slack), a
 * Feishu webhook channel (fake Feishu), a health listener and a web access token. Secrets reach
 * the service only as `env:NAME` references and the child's environment, as an operator's would.
 * It can be killed with SIGKILL (the service process only: its children must die on their own)
 * and started again on the same state dir.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { adminRequest } from '../../../src/admin/client.js';
import type { CodexTestEnv } from '../../support/codex-env.js';
import { pollUntil, spawnCli, type CliProcess } from '../../support/e2e-cli.js';
import { freePort } from '../../support/ports.js';
import { testCodexConfig } from '../../support/service.js';
import type { WebMessage } from '../../../src/state/types.js';

export interface FaultServiceOptions {
  env: CodexTestEnv;
  /** Dispatchers `d0`…; `d<i>` serves web conversation `c<i>` (default 1). */
  dispatchers?: number;
  /** Web access token (config `auth.token: env:FAULT_WEB_TOKEN`). */
  webToken?: string;
  /** A Slack channel in HTTP mode against the fake Slack at `apiUrl`, served by `d0`. */
  slack?: { apiUrl: string; botToken: string; signingSecret: string };
  /** A Feishu channel in webhook mode against the fake Feishu at `url`, served by `d0`. */
  feishu?: { url: string; appId: string; appSecret: string; verificationToken: string; encryptKey: string };
  /** Add a `health.listen` listener. */
  health?: boolean;
  /** Extra environment of the service (e.g. ambient secrets it must not pass on). */
  extraEnv?: Record<string, string>;
  /** Extra config of every dispatcher. */
  dispatcher?: Record<string, unknown>;
  /** State dir (default the env's). */
  stateDir?: string;
  /** Service log level (default `info`). */
  logLevel?: 'info' | 'debug' | 'trace';
}

/** The parts of the admin API's `GET /status` the fault scenarios read. */
export interface ServiceStatusView {
  dispatchers: { id: string; pid: number | null; status: string; queueDepth: number; runningTurnAgeMs: number | null; restartCount: number }[];
  quarantined: number;
  state: { status: 'ok' | 'degraded'; reason: string | null; error: string | null };
}

export interface PostResult {
  /** HTTP status; 0 when the request got no answer (connection refused or reset). */
  status: number;
  body: Record<string, unknown>;
}

export interface FaultService {
  readonly webUrl: string;
  readonly slackUrl: string | null;
  readonly feishuUrl: string | null;
  readonly healthUrl: string | null;
  readonly adminSocket: string;
  /** The running `switchboard serve`, null between a kill and the next start. */
  readonly proc: CliProcess | null;
  /** Every process started so far, oldest first (their output, for the secrets scan). */
  readonly runs: readonly CliProcess[];
  /** Starts `switchboard serve` and waits for its "switchboard started" line. */
  start(): Promise<void>;
  /** SIGKILLs the service process (not its group) and waits for it to exit. */
  kill9(): Promise<void>;
  /** SIGTERM, waits for a clean exit. */
  stop(): Promise<void>;
  /** Headers a web API client sends (the Bearer token when one is configured). */
  headers(): Record<string, string>;
  /** POSTs a web message; a missing answer is status 0, not a throw. */
  post(conversation: string, text: string, id: string): Promise<PostResult>;
  /** The web history of `conversation`. */
  messages(conversation: string): Promise<WebMessage[]>;
  /** `GET /status` of the admin API. */
  status(): Promise<ServiceStatusView>;
}

/** Writes the config file next to the state dir and returns a handle (not started). */
export async function faultService(opts: FaultServiceOptions): Promise<FaultService> {
  const { env } = opts;
  const n = opts.dispatchers ?? 1;
  const webPort = await freePort();
  const slackPort = opts.slack ? await freePort() : null;
  const feishuPort = opts.feishu ? await freePort() : null;
  const healthPort = opts.health ? await freePort() : null;
  const stateDir = opts.stateDir ?? env.stateDir;
  const adminSocket = path.join(stateDir, 'admin.sock');
  const channels: Record<string, unknown>[] = [
    { id: 'web', type: 'web', listen: `127.0.0.1:${webPort}`, ...(opts.webToken ? { auth: { token: 'env:FAULT_WEB_TOKEN' } } : {}) },
  ];
  const platformBindings: Record<string, unknown>[] = [];
  if (opts.slack) {
    channels.push({
      id: 'slack',
      type: 'slack',
      mode: 'http',
      botToken: 'env:FAULT_SLACK_BOT_TOKEN',
      signingSecret: 'env:FAULT_SLACK_SIGNING_SECRET',
      listen: `127.0.0.1:${slackPort}`,
      apiUrl: opts.slack.apiUrl,
    });
    platformBindings.push({ channel: 'slack', conversation: '*' });
  }
  if (opts.feishu) {
    channels.push({
      id: 'feishu',
      type: 'feishu',
      mode: 'webhook',
      domain: opts.feishu.url,
      appId: 'env:FAULT_FEISHU_APP_ID',
      appSecret: 'env:FAULT_FEISHU_APP_SECRET',
      verificationToken: 'env:FAULT_FEISHU_VERIFICATION_TOKEN',
      encryptKey: 'env:FAULT_FEISHU_ENCRYPT_KEY',
      listen: `127.0.0.1:${feishuPort}`,
    });
    platformBindings.push({ channel: 'feishu', conversation: '*' });
  }
  const dispatchers = Array.from({ length: n }, (_, i) => {
    const cwd = path.join(env.workDir, `d${i}`);
    mkdirSync(cwd, { recursive: true });
    return {
      id: `d${i}`,
      cwd,
      bindings: [{ channel: 'web', conversation: `c${i}` }, ...(i === 0 ? platformBindings : [])],
      ...opts.dispatcher,
    };
  });
  const config = {
    stateDir,
    adminSocket,
    logLevel: opts.logLevel ?? 'info',
    logFormat: 'json',
    codex: testCodexConfig(env),
    channels,
    dispatchers,
    ...(healthPort ? { health: { listen: `127.0.0.1:${healthPort}` } } : {}),
  };
  // In the env's work dir, so env.cleanup() removes it (it names secrets only as env: references).
  const configFile = path.join(env.workDir, 'switchboard.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...opts.extraEnv };
  if (opts.webToken) childEnv.FAULT_WEB_TOKEN = opts.webToken;
  if (opts.slack) {
    childEnv.FAULT_SLACK_BOT_TOKEN = opts.slack.botToken;
    childEnv.FAULT_SLACK_SIGNING_SECRET = opts.slack.signingSecret;
  }
  if (opts.feishu) {
    childEnv.FAULT_FEISHU_APP_ID = opts.feishu.appId;
    childEnv.FAULT_FEISHU_APP_SECRET = opts.feishu.appSecret;
    childEnv.FAULT_FEISHU_VERIFICATION_TOKEN = opts.feishu.verificationToken;
    childEnv.FAULT_FEISHU_ENCRYPT_KEY = opts.feishu.encryptKey;
  }

  const webUrl = `http://127.0.0.1:${webPort}`;
  let proc: CliProcess | null = null;
  const runs: CliProcess[] = [];
  const headers = (): Record<string, string> => (opts.webToken ? { authorization: `Bearer ${opts.webToken}` } : {});

  return {
    webUrl,
    slackUrl: slackPort ? `http://127.0.0.1:${slackPort}/slack/events` : null,
    feishuUrl: feishuPort ? `http://127.0.0.1:${feishuPort}/feishu/events` : null,
    healthUrl: healthPort ? `http://127.0.0.1:${healthPort}` : null,
    adminSocket,
    get proc() {
      return proc;
    },
    runs,
    async start() {
      const p = spawnCli(['serve', '--config', configFile], { env: childEnv });
      proc = p;
      runs.push(p);
      await p.waitForLog((l) => l.msg === 'switchboard started', { timeoutMs: 90_000, what: '"switchboard started"' });
    },
    async kill9() {
      const p = proc;
      if (!p) return;
      proc = null;
      process.kill(p.pid, 'SIGKILL');
      await p.exited;
    },
    async stop() {
      const p = proc;
      if (!p) return;
      proc = null;
      await p.stop(30_000);
    },
    headers,
    async post(conversation, text, id) {
      try {
        const res = await fetch(`${webUrl}/api/conversations/${conversation}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers() },
          body: JSON.stringify({ text, id }),
        });
        const raw = await res.text();
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          body = { raw };
        }
        return { status: res.status, body };
      } catch (err) {
        return { status: 0, body: { error: String(err) } };
      }
    },
    async messages(conversation) {
      const res = await fetch(`${webUrl}/api/conversations/${conversation}/messages`, { headers: headers() });
      if (!res.ok) throw new Error(`GET messages of ${conversation}: ${res.status}`);
      return ((await res.json()) as { messages: WebMessage[] }).messages;
    },
    status: () => adminRequest(adminSocket, 'GET', '/status'),
  };
}

/** Waits until dispatcher `id` reports a codex pid (its app-server runs) and returns it. */
export function codexPidOf(svc: FaultService, id: string, timeoutMs = 60_000): Promise<number> {
  return pollUntil(
    async () => {
      const st = await svc.status();
      const d = st.dispatchers.find((x) => x.id === id);
      return d && d.pid !== null && d.status === 'ready' ? d.pid : undefined;
    },
    `dispatcher ${id}'s codex app-server`,
    timeoutMs,
  );
}
