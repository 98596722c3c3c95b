/**
 * `switchboard doctor`: one check per thing a first run needs, each answering ✓ or ✗ with the fix.
 *
 * Order: Node version → codex binary and version → config (same errors as `config check`) →
 * Codex credentials (`account/read` of a short-lived app-server, codex app-server v2) → state dir
 * writable and not in use → each listen address free → each Slack channel's tokens (`auth.test`;
 * `apps.connections.open` for Socket Mode) → each Feishu channel's app credentials (tenant access
 * token) — against the configured API base URLs, so tests run it against local fakes. A check
 * that needs the config is skipped when the config does not load.
 */
import { execa } from 'execa';
import { access, constants, mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isLive } from '../admin/server.js';
import { createFeishuClient } from '../channels/feishu/api/client.js';
import { parseListenAddress } from '../channels/listen.js';
import { createSlackClient } from '../channels/slack/api/client.js';
import { createSlackLogger } from '../channels/slack/api/logger.js';
import { codexBinaryFor, type CodexBinary } from '../codex/binary.js';
import { checkCredentials, initialize } from '../codex/handshake.js';
import { childEnvironmentFor } from '../codex/child-env.js';
import { CodexProcess } from '../codex/process.js';
import { RpcClient } from '../codex/rpc-client.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { silentLogger } from '../log.js';
import { systemClock } from '../clock.js';
import { adminSocketPath } from '../service.js';
import { errorMessage } from '../errors.js';

/** One line of the report. */
export interface CheckResult {
  /** Short name, e.g. `node`, `codex`, `slack team-slack`. */
  name: string;
  ok: boolean;
  /** What was found (version, address, bot user…) or what went wrong. */
  detail: string;
  /** The next step when `ok` is false. */
  fix?: string;
}

const MIN_NODE = [20, 19] as const;
/** Bound on each network or child-process check, ms. */
const CHECK_TIMEOUT_MS = 15_000;

function checkNode(): CheckResult {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return { name: 'node', ok, detail: `Node.js ${process.versions.node}`, ...(ok ? {} : { fix: `install Node.js ${MIN_NODE.join('.')} or newer` }) };
}

async function checkCodexBinary(config: Config | null): Promise<{ result: CheckResult; codex: CodexBinary | null }> {
  try {
    const codex = codexBinaryFor(config?.codex ?? {});
    const { stdout } = await execa(codex.bin, ['--version'], { timeout: CHECK_TIMEOUT_MS });
    return { result: { name: 'codex', ok: true, detail: `${stdout.trim()} (${codex.bin})` }, codex };
  } catch (err) {
    return {
      result: { name: 'codex', ok: false, detail: errorMessage(err), fix: 'run npm ci (it installs @openai/codex), or set codex.bin in the config' },
      codex: null,
    };
  }
}

async function checkCredentialsOf(config: Config, secretEnv: readonly string[], codex: CodexBinary): Promise<CheckResult> {
  const env = childEnvironmentFor(config, secretEnv, process.env).env;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-doctor-'));
  let proc: CodexProcess | undefined;
  let rpc: RpcClient | undefined;
  try {
    proc = await CodexProcess.spawn(
      {
        bin: codex.bin,
        pathDirs: codex.pathDirs,
        overrides: config.codex.overrides,
        ...(config.codex.home ? { codexHome: config.codex.home } : {}),
        env,
        cwd: dir,
        logFile: path.join(dir, 'codex.log'),
        logger: silentLogger(),
      },
      CHECK_TIMEOUT_MS,
    );
    rpc = await RpcClient.connect(proc.socketPath, {
      logger: silentLogger(),
      requestTimeoutMs: CHECK_TIMEOUT_MS,
      timeoutMs: CHECK_TIMEOUT_MS,
      clock: systemClock,
    });
    const init = await initialize(rpc, CHECK_TIMEOUT_MS);
    const fix = await checkCredentials(rpc, env, CHECK_TIMEOUT_MS);
    return fix
      ? { name: 'credentials', ok: false, detail: `no Codex credentials in ${init.codexHome}`, fix: fix.replace(/^Codex has no credentials\. Fix: /, '') }
      : { name: 'credentials', ok: true, detail: `codex can reach its model provider (CODEX_HOME ${init.codexHome})` };
  } catch (err) {
    return {
      name: 'credentials',
      ok: false,
      detail: `codex app-server did not answer: ${errorMessage(err)}`,
      fix: 'check codex.bin, codex.home and codex.overrides in the config',
    };
  } finally {
    await rpc?.close().catch(() => undefined);
    await proc?.kill().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

async function checkStateDir(config: Config): Promise<CheckResult> {
  const dir = config.stateDir;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK);
  } catch (err) {
    return { name: 'state dir', ok: false, detail: `${dir}: ${errorMessage(err)}`, fix: 'set stateDir in the config to a folder this user can write' };
  }
  const socket = adminSocketPath(config);
  if (await isLive(socket)) {
    return {
      name: 'state dir',
      ok: false,
      detail: `${dir} is in use by a running service (${socket})`,
      fix: 'stop that service first, or check it with `switchboard status`',
    };
  }
  return { name: 'state dir', ok: true, detail: `${dir} is writable and not in use` };
}

function portFree(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    srv.listen(port, host, () => srv.close(() => resolve(null)));
  });
}

async function checkListen(config: Config): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of config.channels) {
    const listens = c.type === 'web' || c.mode === 'http' || c.mode === 'webhook';
    if (!listens) continue;
    const { host, port } = parseListenAddress(c.listen);
    if (port === 0) continue;
    const err = await portFree(host, port);
    out.push(
      err === null
        ? { name: `listen ${c.id}`, ok: true, detail: `${c.listen} is free` }
        : {
            name: `listen ${c.id}`,
            ok: false,
            detail: `${c.listen}: ${err === 'EADDRINUSE' ? 'already in use' : err}`,
            fix: `stop what holds it, or set channels[].listen of "${c.id}" to another address`,
          },
    );
  }
  return out;
}

async function checkSlack(c: Extract<Config['channels'][number], { type: 'slack' }>): Promise<CheckResult> {
  const name = `slack ${c.id}`;
  const opts = { ...(c.apiUrl ? { apiUrl: c.apiUrl } : {}), logger: createSlackLogger(silentLogger()) };
  try {
    const auth = await createSlackClient(c.botToken, opts).auth.test();
    let detail = `bot ${String(auth.user ?? auth.user_id)} in team ${String(auth.team ?? auth.team_id)}`;
    if (c.mode === 'socket' && c.appToken) {
      await createSlackClient(c.appToken, opts).apps.connections.open();
      detail += '; Socket Mode connection granted';
    }
    return { name, ok: true, detail };
  } catch (err) {
    return {
      name,
      ok: false,
      detail: errorMessage(err),
      fix: `check botToken${c.mode === 'socket' ? ' and appToken (connections:write)' : ''} of channel "${c.id}" (Slack app settings → OAuth & Permissions / Basic Information)`,
    };
  }
}

async function checkFeishu(c: Extract<Config['channels'][number], { type: 'feishu' }>): Promise<CheckResult> {
  const name = `feishu ${c.id}`;
  try {
    const { client } = createFeishuClient({ appId: c.appId, appSecret: c.appSecret, domain: c.domain, logger: silentLogger(), timeoutMs: CHECK_TIMEOUT_MS });
    const res = (await client.auth.tenantAccessToken.internal({ data: { app_id: c.appId, app_secret: c.appSecret } })) as { code?: number; msg?: string };
    if (res.code !== 0) throw new Error(`code ${res.code}: ${res.msg}`);
    return { name, ok: true, detail: `tenant access token granted for ${c.appId}` };
  } catch (err) {
    return { name, ok: false, detail: errorMessage(err), fix: `check appId and appSecret of channel "${c.id}" (developer console → Credentials & Basic Info)` };
  }
}

/** Runs every check; never throws. */
export async function runDoctor(configFile: string): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkNode()];
  let config: Config | null = null;
  let secretEnv: string[] = [];
  let configResult: CheckResult;
  try {
    const loaded = await loadConfig(configFile);
    config = loaded.config;
    secretEnv = loaded.envNames;
    configResult = { name: 'config', ok: true, detail: `${loaded.file}: ${config.channels.length} channel(s), ${config.dispatchers.length} dispatcher(s)` };
  } catch (err) {
    configResult = {
      name: 'config',
      ok: false,
      detail: err instanceof ConfigError ? err.message : errorMessage(err),
      fix: 'fix the config as the error says (`switchboard config check F`)',
    };
  }
  const { result: codexResult, codex } = await checkCodexBinary(config);
  results.push(codexResult, configResult);
  if (!config) return results;
  if (codex) results.push(await checkCredentialsOf(config, secretEnv, codex));
  results.push(await checkStateDir(config), ...(await checkListen(config)));
  for (const c of config.channels) {
    if (c.type === 'slack') results.push(await checkSlack(c));
    else if (c.type === 'feishu') results.push(await checkFeishu(c));
  }
  return results;
}

/** One line per check: `✓ name  detail` or `✗ name  detail — fix: …`. */
export function formatDoctor(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  return results
    .map((r) => `${r.ok ? '✓' : '✗'} ${r.name.padEnd(width)}  ${r.detail.replace(/\s+/g, ' ')}${r.ok || !r.fix ? '' : ` — fix: ${r.fix}`}`)
    .join('\n');
}
