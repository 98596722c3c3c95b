/**
 * `switchboard doctor` through the built CLI, against the fake Slack and Feishu platforms and the
 * real codex binary (offline CODEX_HOME, so credentials are not needed).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCodexHome } from '../../src/demo/codex-home.js';
import { runCli } from '../support/e2e-cli.js';
import { startFakeFeishu, type FakeFeishu } from '../support/fake-feishu/server.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack/server.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

interface DoctorJson {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string; fix?: string }>;
}

let slack: FakeSlack;
let feishu: FakeFeishu;
let dir: string;

beforeAll(async () => {
  slack = await startFakeSlack({ botToken: 'xoxb-good', appToken: 'xapp-good' });
  feishu = await startFakeFeishu();
  dir = makeTempDir('sb-e2e-doctor-');
  await writeCodexHome(path.join(dir, 'codex-home'), 'http://127.0.0.1:9/v1');
});

afterAll(async () => {
  await slack?.close();
  await feishu?.close();
  await cleanupTempDirs();
});

/** Writes a config with a web, a Socket Mode Slack and a long-connection Feishu channel. */
function writeConfig(name: string, botToken: string): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      stateDir: path.join(dir, `state-${name}`),
      codex: { home: path.join(dir, 'codex-home') },
      channels: [
        { id: 'local', type: 'web', listen: '127.0.0.1:0' },
        { id: 'team-slack', type: 'slack', mode: 'socket', botToken, appToken: 'xapp-good', apiUrl: slack.apiUrl },
        { id: 'team-feishu', type: 'feishu', domain: feishu.url, appId: feishu.appId, appSecret: feishu.appSecret },
      ],
      dispatchers: [{ id: 'main', cwd: path.join(dir, 'work'), bindings: [{ channel: 'local' }] }],
    }),
  );
  return file;
}

describe('switchboard doctor (CLI)', () => {
  it('passes every check against working fakes and exits 0', async () => {
    const r = await runCli(['doctor', '--config', writeConfig('good.json', 'xoxb-good'), '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as DoctorJson;
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(['node', 'codex', 'config', 'credentials', 'state dir', 'slack team-slack', 'feishu team-feishu']);
    expect(report.checks.find((c) => c.name === 'codex')?.detail).toMatch(/^codex-cli \d+\.\d+\.\d+/);
    expect(report.checks.find((c) => c.name === 'slack team-slack')?.detail).toContain('Socket Mode connection granted');
  });

  it('names a wrong Slack bot token on a ✗ line with its fix and exits 1', async () => {
    const r = await runCli(['doctor', '--config', writeConfig('bad.json', 'xoxb-wrong')], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const line = r.stdout.split('\n').find((l) => l.includes('slack team-slack'));
    expect(line).toMatch(/^✗ slack team-slack +.*invalid_auth.* — fix: check botToken and appToken/);
    expect(r.stdout).toMatch(/^✓ feishu team-feishu /m);
  });

  it('reports a broken config with the same error as config check', async () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify({ channels: [], dispatchers: [] }));
    const r = await runCli(['doctor', '--config', file], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✓ node /m);
    expect(r.stdout).toMatch(/^✗ config .*config error at channels/m);
  });
});
