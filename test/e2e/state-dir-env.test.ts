/**
 * End to end through the built CLI: the environment the container image sets.
 *
 * - `demo` takes its state dir from `--state-dir`, else `$SWITCHBOARD_STATE_DIR`, else
 *   `./.switchboard-demo`; its host from `--host`, else `$SWITCHBOARD_HOST`, else 127.0.0.1.
 * - `serve` puts its state in `$SWITCHBOARD_STATE_DIR` over the config file's `stateDir`, and
 *   `status --config F` finds it there too.
 * - `serve` with a missing config file exits 2 with one line naming the fix.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCodexHome } from '../../src/demo/codex-home.js';
import { startScriptedModel, type ScriptedModel } from '../../src/demo/scripted-model.js';
import { killLeftoverClis, runCli, spawnCli, type CliProcess } from '../support/e2e-cli.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

/** process.env without the variables under test (the runner's own values must not leak in). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.SWITCHBOARD_STATE_DIR;
  delete env.SWITCHBOARD_HOST;
  return { ...env, ...extra };
}

async function waitReady(proc: CliProcess): Promise<{ url: string; adminSocket: string }> {
  const ready = await proc.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('demo ready'), { timeoutMs: 30_000, what: '"demo ready"' });
  return { url: String(ready.url), adminSocket: String(ready.adminSocket) };
}

afterAll(async () => {
  await killLeftoverClis();
  await cleanupTempDirs();
});

describe('switchboard demo and $SWITCHBOARD_STATE_DIR / $SWITCHBOARD_HOST', () => {
  it('uses both variables when no flag is given, and not ./.switchboard-demo', async () => {
    const cwd = makeTempDir('sb-env-demo-cwd-');
    const stateDir = path.join(makeTempDir('sb-env-demo-'), 'data');
    // 127.0.0.2 is loopback too, yet differs from the default host.
    const proc = spawnCli(['demo', '--port', '0'], { cwd, env: cleanEnv({ SWITCHBOARD_STATE_DIR: stateDir, SWITCHBOARD_HOST: '127.0.0.2' }) });
    const { url, adminSocket } = await waitReady(proc);
    expect(adminSocket).toBe(path.join(stateDir, 'admin.sock'));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    expect(existsSync(path.join(stateDir, 'state.json'))).toBe(true);
    expect(existsSync(path.join(cwd, '.switchboard-demo'))).toBe(false);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await proc.stop()).toEqual({ code: 0, signal: null });
  });

  it('--state-dir and --host win over the variables', async () => {
    const cwd = makeTempDir('sb-env-demo-cwd-');
    const envDir = path.join(makeTempDir('sb-env-demo-'), 'env');
    const flagDir = path.join(makeTempDir('sb-env-demo-'), 'flag');
    const proc = spawnCli(['demo', '--port', '0', '--state-dir', flagDir, '--host', '127.0.0.1'], {
      cwd,
      env: cleanEnv({ SWITCHBOARD_STATE_DIR: envDir, SWITCHBOARD_HOST: '127.0.0.2' }),
    });
    const { url, adminSocket } = await waitReady(proc);
    expect(adminSocket).toBe(path.join(flagDir, 'admin.sock'));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(envDir)).toBe(false);
    expect(await proc.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('switchboard serve and $SWITCHBOARD_STATE_DIR', () => {
  let model: ScriptedModel;
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    model = await startScriptedModel();
    dir = makeTempDir('sb-env-serve-');
    const codexHome = path.join(dir, 'codex-home');
    await writeCodexHome(codexHome, model.url);
    configFile = path.join(dir, 'switchboard.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        stateDir: './from-file',
        codex: { home: codexHome, sandbox: 'read-only' },
        channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
        dispatchers: [{ id: 'main', cwd: './workspace', bindings: [{ channel: 'local' }] }],
      }),
    );
  });

  afterAll(async () => {
    await model?.close();
  });

  it("keeps its state in the variable's dir, where status --config finds it", async () => {
    const envDir = path.join(dir, 'data');
    const env = cleanEnv({ SWITCHBOARD_STATE_DIR: envDir });
    const proc = spawnCli(['serve', '--config', configFile], { cwd: dir, env });
    const started = await proc.waitForLog((l) => l.msg === 'switchboard started', { timeoutMs: 30_000, what: '"switchboard started"' });
    expect(started.adminSocket).toBe(path.join(envDir, 'admin.sock'));
    expect(existsSync(path.join(envDir, 'state.json'))).toBe(true);
    expect(existsSync(path.join(dir, 'from-file'))).toBe(false);

    const status = spawnCli(['status', '--json', '--config', configFile], { cwd: dir, env });
    const exit = await status.exited;
    expect(exit.code, status.output()).toBe(0);
    expect(await proc.stop()).toEqual({ code: 0, signal: null });
  });

  it('a missing config file: exit 2 and one line naming the fix', async () => {
    const missing = path.join(dir, 'config', 'switchboard.json');
    const r = await runCli(['serve', '--config', missing], { cwd: dir });
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toBe(
      `Invalid config ${missing}: file not found; fix: create it (copy config/switchboard.example.json) or pass --config <file>; ` +
        `in a container, mount one there (docker run -v "$PWD/switchboard.json:${missing}:ro" …); \`switchboard demo\` needs no config`,
    );
  });
});
