/**
 * `switchboard serve` as a new user starts it without Codex credentials, through the built CLI:
 * a CODEX_HOME with no auth, a provider that needs OpenAI auth on a closed port, no API keys in
 * the environment. The message is answered at once with the fix; `status` (no flags, from the
 * config's folder) says `needs_login`; `/healthz` is 200 and `/readyz` 503 naming the reason.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killLeftoverClis, pollUntil, runCli, spawnCli } from '../support/e2e-cli.js';
import { freePort } from '../support/ports.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

afterAll(async () => {
  await killLeftoverClis();
  await cleanupTempDirs();
});

describe('serve without Codex credentials (CLI)', () => {
  it('answers a message at once with the fix; status needs_login; /readyz 503, /healthz 200', async () => {
    const dir = makeTempDir('sb-e2e-nocreds-');
    const codexHome = path.join(dir, 'codex-home');
    mkdirSync(codexHome);
    writeFileSync(
      path.join(codexHome, 'config.toml'),
      `model = "gpt-5"\nmodel_provider = "needs-auth"\n[model_providers.needs-auth]\nname = "needs-auth"\n` +
        `base_url = "http://127.0.0.1:${await freePort()}/v1"\nwire_api = "responses"\nrequires_openai_auth = true\n`,
    );
    const configFile = path.join(dir, 'switchboard.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        stateDir: path.join(dir, '.switchboard'),
        codex: { home: codexHome },
        channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
        dispatchers: [{ id: 'main', cwd: path.join(dir, 'workspace'), bindings: [{ channel: 'local' }] }],
      }),
    );
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    delete env.CODEX_API_KEY;
    const proc = spawnCli(['serve', '--config', configFile], { cwd: dir, env });
    try {
      const listening = await proc.waitForLog((l) => l.msg === 'web chat listening', { timeoutMs: 30_000, what: '"web chat listening"' });
      const url = String(listening.url);
      await proc.waitForLog((l) => l.msg === 'codex runtime ready', { timeoutMs: 30_000, what: '"codex runtime ready"' });
      expect(proc.lines.some((l) => typeof l.msg === 'string' && l.msg.includes('npx codex login'))).toBe(true);

      const sentAt = Date.now();
      const post = await fetch(`${url}/api/conversations/general/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'hello?' }),
      });
      expect(post.status).toBe(202);
      const reply = await pollUntil(
        async () => {
          const body = (await (await fetch(`${url}/api/conversations/general/messages`)).json()) as { messages: Array<{ role: string; text: string }> };
          return body.messages.find((m) => m.role !== 'user');
        },
        'the answer to hello?',
        30_000,
      );
      // The figure for the closing note; the test checks the behaviour, not the time.
      console.log(`no-credentials answer after ${Date.now() - sentAt} ms`);
      expect(reply.text).toContain('Codex has no credentials');
      expect(reply.text).toContain('npx codex login');
      expect(reply.text).toContain('OPENAI_API_KEY');
      expect(reply.text).toContain('npm run demo');

      const status = await runCli(['status', '--config', configFile], { cwd: dir });
      expect(status.code, status.stderr).toBe(0);
      const row = status.stdout.split('\n').find((l) => l.startsWith('main'));
      expect(row?.split(/\s+/)[1], status.stdout).toBe('needs_login');
      expect(row).toContain('npx codex login');

      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not_ready', dispatchers: [{ id: 'main', status: 'needs_login' }] });
    } finally {
      expect(await proc.stop()).toEqual({ code: 0, signal: null });
    }
  });
});
