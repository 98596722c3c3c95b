/**
 * The Dockerfile and .dockerignore, read as text (there is no container engine to build with):
 * non-root final stage, port, health check on /readyz, /data as state dir and volume, COPY
 * sources present in the build context, and a context without dependencies, builds, state or git.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { REPO_ROOT } from '../support/e2e-cli.js';
import { copySpec, execForm, healthcheckSpec, last, parseDockerfile, parseInstructions, readDockerfile, stageEnv, words } from '../support/dockerfile.js';
import { contextFiles, parseDockerIgnore, readDockerIgnore } from '../support/dockerignore.js';

const dockerfile = readDockerfile(path.join(REPO_ROOT, 'Dockerfile'));
const final = dockerfile.stages.at(-1)!;
const ignore = readDockerIgnore(REPO_ROOT);

describe('Dockerfile reader', () => {
  it('joins continuation lines, skips comments inside them, and substitutes global ARGs into FROM', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${BASE} is Dockerfile ARG syntax, not a template
    const text = 'ARG BASE=node:20\n# c\nFROM ${BASE} AS build\nRUN a \\\n  # inner comment\n  && b\n\nENV A=1 \\\n    B="x y"\n';
    const parsed = parseDockerfile(text);
    expect(parsed.stages).toEqual([
      {
        image: 'node:20',
        name: 'build',
        instructions: [
          { keyword: 'RUN', args: 'a && b', line: 4 },
          { keyword: 'ENV', args: 'A=1 B="x y"', line: 8 },
        ],
      },
    ]);
    expect(stageEnv(parsed.stages[0]!)).toEqual({ A: '1', B: 'x y' });
    expect(parseInstructions('expose 80')).toEqual([{ keyword: 'EXPOSE', args: '80', line: 1 }]);
  });

  it('reads COPY flags and HEALTHCHECK options', () => {
    expect(copySpec('--from=build /app/dist ./dist')).toEqual({ flags: { from: 'build' }, sources: ['/app/dist'], dest: './dist' });
    expect(copySpec('["a b", "c"]')).toEqual({ flags: {}, sources: ['a b'], dest: 'c' });
    expect(healthcheckSpec('--interval=5s CMD curl -f x')).toEqual({ options: { interval: '5s' }, command: ['/bin/sh', '-c', 'curl -f x'] });
  });
});

describe('.dockerignore matching', () => {
  const m = parseDockerIgnore('# c\n/dist/\n**/node_modules\n*.log\n!keep.log\n');
  it('follows Docker: parents, ** segments, root-only single *, last match wins', () => {
    expect(m.excludes('dist/cli/main.js')).toBe(true);
    expect(m.excludes('src/dist')).toBe(false);
    expect(m.excludes('node_modules/x/index.js')).toBe(true);
    expect(m.excludes('a/b/node_modules/y')).toBe(true);
    expect(m.excludes('x.log')).toBe(true);
    expect(m.excludes('sub/x.log')).toBe(false);
    expect(m.excludes('keep.log')).toBe(false);
  });
});

describe('Dockerfile', () => {
  it('has a build stage and a final stage on the same configurable base (npm 10 by default)', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile.args.NODE_IMAGE).toMatch(/^node:20[.\w-]*$/);
    for (const s of dockerfile.stages) expect(s.image).toBe(dockerfile.args.NODE_IMAGE);
  });

  it('has no comment line ending in a backslash (parsers disagree on whether it continues)', () => {
    const text = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(text.split('\n').filter((l) => l.trim().startsWith('#') && l.trimEnd().endsWith('\\'))).toEqual([]);
  });

  it('runs the final stage as the non-root user node', () => {
    const user = last(final, 'USER');
    expect(user?.args).toBe('node');
    // Nothing after USER switches back to root.
    const after = final.instructions.slice(final.instructions.indexOf(user!));
    expect(after.filter((i) => i.keyword === 'USER').map((i) => i.args)).toEqual(['node']);
  });

  it("exposes 8787 and health-checks GET /readyz with node's fetch", () => {
    expect(final.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => words(i.args))).toContain('8787');
    const hc = healthcheckSpec(last(final, 'HEALTHCHECK')!.args);
    expect(hc.command.slice(0, 2)).toEqual(['node', '-e']);
    expect(hc.command[2]).toContain('fetch(process.env.SWITCHBOARD_HEALTH_URL');
    expect(hc.command[2]).toContain("'http://127.0.0.1:8787/readyz'");
    expect(stageEnv(final).SWITCHBOARD_HEALTH_URL).toBe('http://127.0.0.1:8787/readyz');
    expect(hc.options['start-period']).toBeDefined();
  });

  it('keeps state in /data: ENV SWITCHBOARD_STATE_DIR, a VOLUME owned by node, the working directory', () => {
    const env = stageEnv(final);
    expect(env.SWITCHBOARD_STATE_DIR).toBe('/data');
    expect(env.SWITCHBOARD_HOST).toBe('0.0.0.0');
    expect(env.NODE_ENV).toBe('production');
    const volumes = final.instructions.filter((i) => i.keyword === 'VOLUME').flatMap((i) => execForm(i.args) ?? words(i.args));
    expect(volumes).toContain('/data');
    expect(final.instructions.some((i) => i.keyword === 'RUN' && i.args.includes('chown node:node /data'))).toBe(true);
    expect(last(final, 'WORKDIR')?.args).toBe('/data');
  });

  it('starts the built CLI; the default command serves /config/switchboard.json', () => {
    expect(execForm(last(final, 'ENTRYPOINT')!.args)).toEqual(['node', '/app/dist/cli/main.js']);
    expect(execForm(last(final, 'CMD')!.args)).toEqual(['serve', '--config', '/config/switchboard.json']);
  });

  it('COPYs only sources that exist in the repo and reach the build context', () => {
    const stageNames = new Set(dockerfile.stages.map((s) => s.name).filter(Boolean));
    let fromContext = 0;
    for (const stage of dockerfile.stages) {
      for (const ins of stage.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
        const spec = copySpec(ins.args);
        if (spec.flags.from) {
          expect(stageNames.has(spec.flags.from), `line ${ins.line}: unknown stage ${spec.flags.from}`).toBe(true);
          continue;
        }
        for (const src of spec.sources) {
          fromContext++;
          expect(existsSync(path.join(REPO_ROOT, src)), `line ${ins.line}: ${src} is not in the repo`).toBe(true);
          expect(ignore.excludes(src), `line ${ins.line}: ${src} is excluded by .dockerignore`).toBe(false);
          expect(contextFiles(REPO_ROOT, src, ignore).length, `line ${ins.line}: nothing of ${src} reaches the context`).toBeGreaterThan(0);
        }
      }
    }
    expect(fromContext).toBeGreaterThan(0);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, builds, state dirs, git data, logs and test reports out of the context', () => {
    for (const p of [
      'node_modules/zod/package.json',
      '.git/HEAD',
      'dist/cli/main.js',
      '.switchboard/state.json',
      '.switchboard-demo/admin.sock',
      '.switchboard-x/state.json',
      'workspace/a.txt',
      '.ci/vitest-report.json',
      'test/unit/config.test.ts',
      'codex.log',
      'src/x/node_modules/y.js',
    ])
      expect(ignore.excludes(p), p).toBe(true);
  });

  it('lets through what the build needs', () => {
    for (const p of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'src/cli/main.ts',
      'skills',
      'config/switchboard.docker.json',
    ]) {
      expect(ignore.excludes(p), p).toBe(false);
    }
  });
});

describe('config/switchboard.docker.json', () => {
  it('is valid, listens on 0.0.0.0:8787 (what the HEALTHCHECK and -p 8787 reach) behind the access token, and keeps state in the env dir', async () => {
    const env = { SWITCHBOARD_STATE_DIR: '/data', SWITCHBOARD_WEB_TOKEN: 'docker-web-token-0123456789' };
    const { config } = await loadConfig(path.join(REPO_ROOT, 'config/switchboard.docker.json'), { cwd: '/data', env });
    expect(config.stateDir).toBe('/data');
    expect(config.channels[0]).toMatchObject({ type: 'web', listen: '0.0.0.0:8787', auth: { token: env.SWITCHBOARD_WEB_TOKEN } });
    expect(config.dispatchers[0]!.cwd).toBe('/data/workspace');
  });
});
