/**
 * No secret of the service reaches the agent (issue 14 §1): a real service (web chat + a Slack
 * channel on the fake Slack whose credentials come from `env:` references) runs a real codex whose
 * scripted model calls `exec_command` with `env` and a dump of every `/proc/<pid>/environ` the
 * agent's sandbox can see. The tool output the model receives holds none of the secrets (config
 * `env:` secrets, `SLACK_BOT_TOKEN` / `FEISHU_APP_SECRET` of the service's environment) and holds
 * the `codex.env` variables the operator allowed. The app-server (read from this process, outside
 * the sandbox) holds none either, and starts no MCP server process: the service serves the teammate
 * tools itself, and the runtime's caller token for them is in no environment and no command line.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { envReferenceNames } from '../../src/config/secrets.js';
import type { ScriptFn } from '../../src/demo/script-types.js';
import type { Service } from '../../src/service.js';
import { startService } from '../../src/service.js';
import { createLogger, silentLogger, type LogLevel } from '../../src/log.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack/index.js';
import { mainDispatcher, testCodexConfig, waitForCount } from '../support/service.js';
import type { WebMessage } from '../../src/state/types.js';

const CALL_ID = 'env-dump';
/** Everything the agent's shell can read of environments: its own, and every process it can see. */
const DUMP = "env; echo '--- /proc environ ---'; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | sort -u";

const SECRETS = {
  /** Read by the config with `env:` (the Slack channel's credentials). */
  SB_TEST_SLACK_BOT: 'xoxb-config-secret-bot-token-1',
  SB_TEST_SLACK_SIGNING: 'config-secret-signing-2',
  /** In the service's environment, not named by the config. */
  SLACK_BOT_TOKEN: 'xoxb-ambient-slack-token-3',
  FEISHU_APP_SECRET: 'ambient-feishu-secret-4',
};
const ALLOWED = { SB_TEST_ALLOWED: 'allowed-value-5' };

const script: ScriptFn = (req) => {
  const out = req.functionOutput(CALL_ID);
  if (out === undefined) return { kind: 'functionCall', name: 'exec_command', callId: CALL_ID, arguments: { cmd: DUMP, login: false } };
  return { kind: 'reply', text: 'dumped' };
};

let env: CodexTestEnv;
let fake: FakeSlack;
let service: Service | undefined;
const saved = new Map<string, string | undefined>();

beforeEach(async () => {
  for (const [k, v] of Object.entries({ ...SECRETS, ...ALLOWED })) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  env = await codexTestEnv(script);
  fake = await startFakeSlack({ botToken: SECRETS.SB_TEST_SLACK_BOT });
});

afterEach(async () => {
  await service?.stop();
  service = undefined;
  await fake.close();
  await env.cleanup();
  for (const [k, v] of saved) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  saved.clear();
});

/** Pids of every live descendant of `root`. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

function environOf(pid: number): { cmdline: string; environ: string } | null {
  try {
    return { cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '), environ: readFileSync(`/proc/${pid}/environ`, 'utf8') };
  } catch {
    return null;
  }
}

describe('the agent environment (real codex)', () => {
  it.skipIf(process.platform !== 'linux')('holds no secret of the service and the allowed codex.env variables', async () => {
    const raw = {
      stateDir: env.stateDir,
      codex: { ...testCodexConfig(env), env: { pass: Object.keys(ALLOWED), set: { SB_TEST_SET: 'set-value-6' } } },
      channels: [
        { id: 'local', type: 'web', listen: '127.0.0.1:0' },
        {
          id: 'slack',
          type: 'slack',
          mode: 'http',
          botToken: 'env:SB_TEST_SLACK_BOT',
          signingSecret: 'env:SB_TEST_SLACK_SIGNING',
          listen: '127.0.0.1:0',
          apiUrl: fake.apiUrl,
        },
      ],
      dispatchers: [mainDispatcher(env, 'local')],
    };
    const config = parseConfig(raw, { file: '<agent-env>' });
    const level = process.env.SB_TEST_LOG as LogLevel | undefined;
    service = await startService(config, { logger: level ? createLogger(level) : silentLogger(), secretEnv: envReferenceNames(raw) });
    // The config's secrets are gone from the service's process.env once read.
    expect(process.env.SB_TEST_SLACK_BOT).toBeUndefined();
    expect(process.env.SB_TEST_SLACK_SIGNING).toBeUndefined();

    const url = (service.channels.get('local') as unknown as { url: string }).url;
    const post = await fetch(`${url}/api/conversations/c1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'print your environment' }),
    });
    expect(post.status).toBe(202);
    await waitForCount(
      async () =>
        ((await (await fetch(`${url}/api/conversations/c1/messages`)).json()) as { messages: WebMessage[] }).messages.filter((m) => m.role !== 'user'),
      1,
      30_000,
      (got) => `no answer: ${JSON.stringify(got)}`,
    );

    // While the app-server still runs: the environments of it and its children, read from outside the sandbox.
    const children = descendants(process.pid)
      .map((pid) => ({ pid, ...environOf(pid) }))
      .filter((c) => c.cmdline !== undefined);
    expect(children.some((c) => c.cmdline?.includes('app-server'))).toBe(true);
    expect(children.some((c) => c.cmdline?.includes('mcp/server.js'))).toBe(false);

    const output = env.model.requests.map((r) => r.functionOutput(CALL_ID)).find((o) => o !== undefined);
    expect(output).toBeDefined();
    expect(output).toContain('--- /proc environ ---');
    expect(output).toContain(`SB_TEST_ALLOWED=${ALLOWED.SB_TEST_ALLOWED}`);
    expect(output).toContain('SB_TEST_SET=set-value-6');
    const token = service.mcp.tokens.tokenFor({ role: 'dispatcher', id: 'main' });
    expect(output, 'the MCP caller token reached the agent').not.toContain(token);
    for (const c of children) expect(`${c.cmdline} ${c.environ}`, `the MCP caller token in ${c.cmdline}`).not.toContain(token);
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(output, `${name} reached the agent`).not.toContain(value);
      for (const c of children) expect(c.environ, `${name} in the environment of ${c.cmdline}`).not.toContain(value);
    }
  });
});
