import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig, type ConfigIssue } from '../../src/config/load.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const exampleFile = path.join(repoRoot, 'config/switchboard.example.json');

/** A minimal valid raw config; callers override parts. */
function base(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    channels: [{ id: 'local', type: 'web' }],
    dispatchers: [{ id: 'main', bindings: [{ channel: 'local' }] }],
    ...extra,
  };
}

/** Runs parseConfig expecting a ConfigError; returns its issues. */
function issuesOf(raw: unknown, opts: Parameters<typeof parseConfig>[1] = {}): ConfigIssue[] {
  try {
    parseConfig(raw, { cwd: '/base', env: {}, ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

function issueAt(issues: ConfigIssue[], p: string): ConfigIssue {
  const found = issues.find((i) => i.path === p);
  if (!found) throw new Error(`no issue at ${p}; got ${JSON.stringify(issues)}`);
  return found;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sb-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('loads the example config with defaults and absolute paths', async () => {
    const { config, file } = await loadConfig(exampleFile, { cwd: dir });
    expect(file).toBe(exampleFile);
    expect(config.stateDir).toBe(path.join(dir, '.switchboard'));
    expect(config.channels).toEqual([{ id: 'local', type: 'web', listen: '127.0.0.1:8787', maxTextBytes: 16_384, historyLimit: 500 }]);
    expect(config.dispatchers[0]).toMatchObject({
      id: 'main',
      cwd: path.join(dir, 'workspace'),
      bindings: [{ channel: 'local', conversation: '*' }],
    });
    expect(config.codex.sandbox).toBe('workspace-write');
  });

  it('resolves a relative file name against cwd and reports a missing file', async () => {
    const err = await loadConfig('nope.json', { cwd: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.file).toBe(path.join(dir, 'nope.json'));
    // One line naming the fix, also for a container without a mounted config.
    expect(ce.message).not.toContain('\n');
    expect(ce.message).toMatch(new RegExp(`^Invalid config ${path.join(dir, 'nope.json')}: file not found; fix: create it`));
    expect(ce.message).toContain('--config <file>');
    expect(ce.message).toContain(`-v "$PWD/switchboard.json:${path.join(dir, 'nope.json')}:ro"`);
    expect(ce.issues).toHaveLength(1);
    expect(ce.issues[0]).toMatchObject({ path: '', problem: 'file not found' });
  });

  it('names line and column of a JSON syntax error', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, '{\n  "stateDir": "x",\n}\n');
    const err = (await loadConfig(file).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.path).toBe('');
    expect(err.issues[0]!.problem).toBe('invalid JSON at line 3, column 1: unexpected "}"');
    expect(err.issues[0]!.fix).toMatch(/trailing commas/);
  });

  it('reports an unexpected end of file', async () => {
    const file = path.join(dir, 'cut.json');
    await writeFile(file, '{"channels": [');
    const err = (await loadConfig(file).catch((e: unknown) => e)) as ConfigError;
    expect(err.issues[0]!.problem).toBe('invalid JSON at line 1, column 15: unexpected end of file');
  });

  it("$SWITCHBOARD_STATE_DIR overrides the file's stateDir (resolved against cwd); empty = unset", async () => {
    const file = path.join(dir, 'sb.json');
    await writeFile(file, JSON.stringify(base({ stateDir: './from-file' })));
    const fromEnv = await loadConfig(file, { cwd: dir, env: { SWITCHBOARD_STATE_DIR: 'data' } });
    expect(fromEnv.config.stateDir).toBe(path.join(dir, 'data'));
    const absolute = await loadConfig(file, { cwd: dir, env: { SWITCHBOARD_STATE_DIR: '/data' } });
    expect(absolute.config.stateDir).toBe('/data');
    const empty = await loadConfig(file, { cwd: dir, env: { SWITCHBOARD_STATE_DIR: '' } });
    expect(empty.config.stateDir).toBe(path.join(dir, 'from-file'));
    const unset = await loadConfig(file, { cwd: dir, env: {} });
    expect(unset.config.stateDir).toBe(path.join(dir, 'from-file'));
  });

  it('$SWITCHBOARD_STATE_DIR also replaces the default stateDir; parseConfig ignores it', async () => {
    const file = path.join(dir, 'sb.json');
    await writeFile(file, JSON.stringify(base()));
    const { config } = await loadConfig(file, { cwd: dir, env: { SWITCHBOARD_STATE_DIR: '/data' } });
    expect(config.stateDir).toBe('/data');
    expect(parseConfig(base(), { cwd: dir, env: { SWITCHBOARD_STATE_DIR: '/data' } }).stateDir).toBe(path.join(dir, '.switchboard'));
  });

  it('reads a valid file with env: values from opts.env', async () => {
    const file = path.join(dir, 'sb.json');
    await writeFile(file, JSON.stringify(base({ stateDir: 'env:SB_STATE' })));
    const { config } = await loadConfig(file, { cwd: dir, env: { SB_STATE: 'data/state' } });
    expect(config.stateDir).toBe(path.join(dir, 'data/state'));
  });
});

describe('parseConfig: schema issues', () => {
  it('lists every issue in the message, one per line, after the file line', () => {
    let err: unknown;
    try {
      parseConfig(base({ logLevel: 'loud', foo: 1 }), { file: '/x/switchboard.json', env: {} });
    } catch (e) {
      err = e;
    }
    const lines = (err as ConfigError).message.split('\n');
    expect(lines[0]).toBe('Invalid config /x/switchboard.json:');
    expect(lines.slice(1).sort()).toEqual([
      'config error at foo: unknown key "foo"; fix: remove it; allowed keys: stateDir, logLevel, logFormat, adminSocket, codex, channels, dispatchers, routing, skills, health, approvals, retention, teammates, completions',
      'config error at logLevel: invalid value "loud"; fix: use one of "fatal", "error", "warn", "info", "debug", "trace"',
    ]);
  });

  it('unknown nested key lists the allowed keys of that object', () => {
    const issues = issuesOf(base({ channels: [{ id: 'local', type: 'web', lisen: 'x' }] }));
    expect(issueAt(issues, 'channels[0].lisen')).toEqual({
      path: 'channels[0].lisen',
      problem: 'unknown key "lisen"',
      fix: 'remove it; allowed keys: id, type, listen, maxTextBytes, historyLimit, live, auth',
    });
  });

  it('invalid enum value says which values are allowed', () => {
    const issue = issueAt(issuesOf(base({ codex: { sandbox: 'yolo' } })), 'codex.sandbox');
    expect(issue.problem).toBe('invalid value "yolo"');
    expect(issue.fix).toBe('use one of "read-only", "workspace-write", "danger-full-access"');
  });

  it('unknown channel type says which types exist', () => {
    const issue = issueAt(issuesOf(base({ channels: [{ id: 'local', type: 'irc' }] })), 'channels[0].type');
    expect(issue.problem).toBe('unsupported value "irc"');
    expect(issue.fix).toBe('use one of "web", "slack", "feishu"');
  });

  it('missing required value says to add it', () => {
    const issues = issuesOf(base({ dispatchers: [{ id: 'main', bindings: [{}] }] }));
    expect(issueAt(issues, 'dispatchers[0].bindings[0].channel')).toEqual({
      path: 'dispatchers[0].bindings[0].channel',
      problem: 'missing required value',
      fix: 'add it (string)',
    });
    const noChannels = issuesOf({ dispatchers: [] });
    expect(issueAt(noChannels, 'channels').fix).toBe('add it (array)');
    expect(issueAt(noChannels, 'dispatchers')).toMatchObject({
      problem: 'declare at least one dispatcher',
      fix: 'add at least 1 item(s)',
    });
  });

  it('wrong type names the expected type', () => {
    const issue = issueAt(issuesOf(base({ codex: { requestTimeoutMs: '30s' } })), 'codex.requestTimeoutMs');
    expect(issue.problem).toBe('wrong type: got string "30s"');
    expect(issue.fix).toBe('expected number');
  });

  it('regex and range failures carry the schema message or a bound', () => {
    const issues = issuesOf(
      base({
        channels: [{ id: 'local', type: 'web', listen: 'localhost' }],
        codex: { restartBackoff: { baseMs: 5000, maxMs: 10 }, turnTimeoutMs: 0 },
      }),
    );
    expect(issueAt(issues, 'channels[0].listen')).toMatchObject({
      problem: 'invalid format "localhost"',
      fix: 'must look like "127.0.0.1:8787"',
    });
    expect(issueAt(issues, 'codex.restartBackoff.maxMs').problem).toBe('maxMs must be >= baseMs');
    expect(issueAt(issues, 'codex.turnTimeoutMs')).toMatchObject({ problem: 'too small (0)', fix: 'use a number > 0' });
  });
});

describe('parseConfig: env: values', () => {
  it('replaces exact env:NAME strings anywhere, leaves others alone', () => {
    const config = parseConfig(base({ codex: { model: 'env:SB_MODEL', overrides: { note: 'see env:SB_MODEL' } } }), {
      env: { SB_MODEL: 'gpt-x' },
      cwd: '/base',
    });
    expect(config.codex.model).toBe('gpt-x');
    expect(config.codex.overrides).toEqual({ note: 'see env:SB_MODEL' });
  });

  it('missing or empty variable is an issue at its JSON path (reported once)', () => {
    const issues = issuesOf(base({ codex: { model: 'env:SB_UNSET' }, dispatchers: [{ id: 'main', bindings: [{ channel: 'env:SB_EMPTY' }] }] }), {
      env: { SB_EMPTY: '' },
    });
    expect(issues).toEqual([
      {
        path: 'dispatchers[0].bindings[0].channel',
        problem: 'environment variable SB_EMPTY is not set',
        fix: 'export SB_EMPTY=… or put the value in the file',
      },
      {
        path: 'codex.model',
        problem: 'environment variable SB_UNSET is not set',
        fix: 'export SB_UNSET=… or put the value in the file',
      },
    ]);
  });

  it('does not modify the raw input', () => {
    const raw = base({ stateDir: 'env:SB_STATE' });
    parseConfig(raw, { env: { SB_STATE: '/abs' } });
    expect(raw.stateDir).toBe('env:SB_STATE');
  });
});

describe('parseConfig: cross-field checks', () => {
  it('duplicate channel and dispatcher ids', () => {
    const issues = issuesOf({
      channels: [
        { id: 'a', type: 'web' },
        { id: 'a', type: 'web', listen: '127.0.0.1:9000' },
      ],
      dispatchers: [
        { id: 'd', bindings: [{ channel: 'a', conversation: 'x' }] },
        { id: 'd', bindings: [{ channel: 'a', conversation: 'y' }] },
      ],
    });
    expect(issueAt(issues, 'channels[1].id')).toEqual({
      path: 'channels[1].id',
      problem: 'duplicate channel id "a" (also channels[0])',
      fix: 'give each channel a unique id',
    });
    expect(issueAt(issues, 'dispatchers[1].id').problem).toBe('duplicate dispatcher id "d" (also dispatchers[0])');
  });

  it('binding to an undeclared channel lists the declared ids', () => {
    const issues = issuesOf({
      channels: [
        { id: 'a', type: 'web' },
        { id: 'b', type: 'web', listen: '127.0.0.1:9000' },
      ],
      dispatchers: [{ id: 'd', bindings: [{ channel: 'a' }, { channel: 'c' }] }],
    });
    expect(issues).toEqual([
      {
        path: 'dispatchers[0].bindings[1].channel',
        problem: 'unknown channel "c"',
        fix: 'use a declared channel id: a, b',
      },
    ]);
  });

  it('routing.defaultDispatcher must name a dispatcher', () => {
    const issues = issuesOf(base({ routing: { defaultDispatcher: 'other' } }));
    expect(issues).toEqual([
      {
        path: 'routing.defaultDispatcher',
        problem: 'unknown dispatcher "other"',
        fix: 'use a declared dispatcher id: main',
      },
    ]);
  });

  it('the same (channel, conversation) bound to two dispatchers', () => {
    const issues = issuesOf(
      base({
        dispatchers: [
          { id: 'one', bindings: [{ channel: 'local', conversation: 'ops' }] },
          {
            id: 'two',
            bindings: [
              { channel: 'local', conversation: 'dev' },
              { channel: 'local', conversation: 'ops' },
            ],
          },
        ],
      }),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('dispatchers[1].bindings[1]');
    expect(issues[0]!.problem).toBe('channel "local" conversation "ops" is already bound to dispatcher "one"');
  });

  it('the same channel with different conversations is fine', () => {
    const config = parseConfig(
      base({
        dispatchers: [
          { id: 'one', bindings: [{ channel: 'local', conversation: 'ops' }] },
          { id: 'two', bindings: [{ channel: 'local' }] },
        ],
        routing: { defaultDispatcher: 'two' },
      }),
      { env: {} },
    );
    expect(config.dispatchers.map((d) => d.id)).toEqual(['one', 'two']);
  });
});

describe('parseConfig: paths', () => {
  it('resolves relative paths against cwd and keeps absolute ones', () => {
    const config = parseConfig(
      base({
        stateDir: 'state',
        adminSocket: '/run/sb.sock',
        codex: { bin: './bin/codex', home: 'codex-home' },
        dispatchers: [{ id: 'main', cwd: '../ws', bindings: [{ channel: 'local' }] }],
        skills: { roots: { dispatcher: ['skills', '/opt/skills'] } },
      }),
      { cwd: '/srv/sb', env: {} },
    );
    expect(config.stateDir).toBe('/srv/sb/state');
    expect(config.adminSocket).toBe('/run/sb.sock');
    expect(config.codex.bin).toBe('/srv/sb/bin/codex');
    expect(config.codex.home).toBe('/srv/sb/codex-home');
    expect(config.dispatchers[0]!.cwd).toBe('/srv/ws');
    expect(config.skills.roots).toEqual({ dispatcher: ['/srv/sb/skills', '/opt/skills'] });
  });

  it('leaves a bare codex.bin for PATH lookup and fills defaults', () => {
    const config = parseConfig(base({ codex: { bin: 'codex' }, adminSocket: 'admin.sock' }), { cwd: '/srv', env: {} });
    expect(config.codex.bin).toBe('codex');
    expect(config.adminSocket).toBe('/srv/admin.sock');
    expect(config.stateDir).toBe('/srv/.switchboard');
    expect(config.dispatchers[0]!.cwd).toBe('/srv/workspace');
  });
});

describe('parseConfig: codex.env (what the agent gets besides the fixed minimal environment)', () => {
  it('defaults to nothing extra and accepts names and literal values', () => {
    expect(parseConfig(base(), { env: {} }).codex.env).toEqual({ pass: [], set: {} });
    const c = parseConfig(base({ codex: { env: { pass: ['GITHUB_HOST'], set: { PIP_INDEX_URL: 'https://pypi.internal/simple' } } } }), { env: {} });
    expect(c.codex.env).toEqual({ pass: ['GITHUB_HOST'], set: { PIP_INDEX_URL: 'https://pypi.internal/simple' } });
  });

  it('a name that is not an environment variable name says what one looks like', () => {
    const issues = issuesOf(base({ codex: { env: { pass: ['1BAD'], set: { 'A-B': 'x' } } } }));
    expect(issueAt(issues, 'codex.env.pass[0]').fix).toMatch(/letters, digits and "_"/);
    expect(issues.some((i) => i.path.startsWith('codex.env.set') && /letters, digits and "_"/.test(i.fix))).toBe(true);
  });

  it('refuses an env: reference inside codex.env and a pass name that holds a secret of the config', () => {
    const raw = base({
      channels: [
        { id: 'local', type: 'web' },
        { id: 's', type: 'slack', mode: 'http', botToken: 'env:BOT', signingSecret: 'env:SIGNING' },
      ],
      codex: { env: { pass: ['BOT', 'FINE'], set: { GH_TOKEN: 'env:GH' } } },
    });
    const issues = issuesOf(raw, { env: { BOT: 'xoxb-1', SIGNING: 's', GH: 'g' } });
    expect(issueAt(issues, 'codex.env.pass[0]')).toMatchObject({
      problem: expect.stringMatching(/BOT holds a secret of this config \(channels\[1\]\.botToken reads it\)/),
      fix: expect.stringMatching(/remove "BOT" from codex.env.pass/),
    });
    expect(issueAt(issues, 'codex.env.set.GH_TOKEN').fix).toMatch(/list "GH" in codex.env.pass instead/);
    expect(issues).toHaveLength(2);
  });

  it('loadConfig names the variables the file reads with env:', async () => {
    const file = path.join(dir, 'c.json');
    await writeFile(
      file,
      JSON.stringify(
        base({
          channels: [
            { id: 'local', type: 'web' },
            { id: 's', type: 'slack', mode: 'http', botToken: 'env:BOT', signingSecret: 'env:BOT' },
          ],
        }),
      ),
    );
    const loaded = await loadConfig(file, { env: { BOT: 'xoxb-1' } });
    expect(loaded.envNames).toEqual(['BOT']);
  });
});
