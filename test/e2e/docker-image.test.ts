/**
 * The container image, rehearsed without a container engine (none on the project's machines):
 * the Dockerfile's stages are replayed in temp dirs (test/support/docker-rehearsal.ts) — the
 * build stage's real `npm ci` from the registry, build and prune; the final stage's COPYs — then
 * the image's ENTRYPOINT runs with the image's ENV (image paths mapped into the final stage's
 * dir, so SWITCHBOARD_STATE_DIR=/data is `<final>/data`):
 *
 * - `demo` (what `docker run -p 8787:8787 IMAGE demo` runs, on port 0 here) answers /readyz 200,
 *   the HEALTHCHECK command itself exits 0 against it, its state lands in /data, `status` finds it
 *   through SWITCHBOARD_STATE_DIR, and SIGTERM stops it with exit 0;
 * - the default CMD with no config mounted exits 2 with one line saying what to mount.
 *
 * Slow (a real `npm ci`, about a minute): the build runs once in beforeAll.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLeftoverClis, pollUntil, REPO_ROOT, runCli, spawnCli } from '../support/e2e-cli.js';
import { readDockerfile } from '../support/dockerfile.js';
import { readDockerIgnore } from '../support/dockerignore.js';
import { rehearse, type RehearsedStage } from '../support/docker-rehearsal.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

const BUILD_TIMEOUT_MS = 600_000;
const RUN_TIMEOUT_MS = 120_000;

let image: RehearsedStage;
/** The container's environment: a bare PATH and HOME, plus the image's ENV with paths mapped. */
let env: NodeJS.ProcessEnv;
let entry: [string, ...string[]];

beforeAll(async () => {
  const dockerfile = readDockerfile(path.join(REPO_ROOT, 'Dockerfile'));
  const stages = await rehearse({
    dockerfile,
    context: REPO_ROOT,
    ignore: readDockerIgnore(REPO_ROOT),
    workDir: makeTempDir('sb-docker-'),
    skipRunIn: new Set([dockerfile.stages.length - 1]),
  });
  image = stages.at(-1)!;
  const home = image.host('/home/node');
  mkdirSync(home, { recursive: true });
  env = {
    PATH: process.env.PATH,
    HOME: home,
    ...Object.fromEntries(Object.entries(image.env).map(([k, v]) => [k, image.host(v)])),
  };
  const [program, ...rest] = image.entrypoint!.map((a) => image.host(a));
  entry = [program!, ...rest];
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await killLeftoverClis();
  await cleanupTempDirs();
});

describe('the image (rehearsed)', () => {
  it('holds the built CLI and production dependencies only, not the sources', () => {
    expect(existsSync(image.host('/app/dist/cli/main.js'))).toBe(true);
    expect(existsSync(image.host('/app/dist/mcp/http-server.js'))).toBe(true);
    expect(existsSync(image.host('/app/node_modules/@openai/codex/package.json'))).toBe(true);
    expect(existsSync(image.host('/app/node_modules/typescript'))).toBe(false);
    expect(existsSync(image.host('/app/node_modules/vitest'))).toBe(false);
    expect(existsSync(image.host('/app/src'))).toBe(false);
    expect(existsSync(image.host('/app/skills'))).toBe(true);
    expect(env.SWITCHBOARD_STATE_DIR).toBe(image.host('/data'));
  });

  it(
    'runs `demo` with no config: ready, healthy by its own HEALTHCHECK, state in /data, stops on SIGTERM',
    async () => {
      const cwd = image.host(image.workdir);
      const proc = spawnCli(['demo', '--port', '0'], { cwd, env, entry });
      const listening = await proc.waitForLog((l) => l.msg === 'web chat listening', { timeoutMs: RUN_TIMEOUT_MS, what: '"web chat listening"' });
      const url = String(listening.url);
      // SWITCHBOARD_HOST=0.0.0.0: reachable through a published port (shown as 127.0.0.1).
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await pollUntil(async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined), 'GET /readyz 200', RUN_TIMEOUT_MS);

      // The HEALTHCHECK command as written, pointed at this port the way `docker run -e` would.
      const [hcProgram, ...hcArgs] = image.healthcheck!;
      const healthy = await runCli(hcArgs, { entry: [hcProgram!], cwd, env: { ...env, SWITCHBOARD_HEALTH_URL: `${url}/readyz` } });
      expect(healthy.code, healthy.stderr).toBe(0);

      const data = image.host('/data');
      for (const p of ['state.json', 'admin.sock', 'codex-home', 'workspace', 'logs/codex-main.log']) {
        expect(existsSync(path.join(data, p)), p).toBe(true);
      }
      // `docker exec CONTAINER switchboard status` finds the service through SWITCHBOARD_STATE_DIR.
      const status = await runCli(['status', '--json'], { entry, cwd, env });
      expect(status.code, status.stderr).toBe(0);
      expect((JSON.parse(status.stdout) as { dispatchers: Array<{ status: string }> }).dispatchers[0]!.status).toBe('ready');

      expect(await proc.stop(30_000)).toEqual({ code: 0, signal: null });
      const unhealthy = await runCli(hcArgs, { entry: [hcProgram!], cwd, env: { ...env, SWITCHBOARD_HEALTH_URL: `${url}/readyz` } });
      expect(unhealthy.code).toBe(1);
    },
    RUN_TIMEOUT_MS * 2,
  );

  it(
    'the default CMD without a mounted config exits 2 with one line naming what to mount',
    async () => {
      const cmd = image.cmd!.map((a) => image.host(a));
      const r = await runCli(cmd, { entry, cwd: image.host(image.workdir), env });
      expect(r.code).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      const config = image.host('/config/switchboard.json');
      expect(lines[0]).toContain(`Invalid config ${config}: file not found`);
      expect(lines[0]).toContain(`-v "$PWD/switchboard.json:${config}:ro"`);
    },
    RUN_TIMEOUT_MS,
  );
});
