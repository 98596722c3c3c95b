/**
 * State and logs are private (issue 14 §2): a real service (real codex, web chat) started on a
 * state dir left 0755 with a 0644 state file and a 0644 old log makes them 0700 / 0600 at start and
 * says so in one log line; after a message is answered every directory under the state dir is
 * 0700 and every file 0600 (state.json, web history, codex log, the admin socket).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startService, type Service } from '../../src/service.js';
import { STATE_VERSION } from '../../src/state/types.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { mainDispatcher, testCodexConfig, waitForCount } from '../support/service.js';
import type { WebMessage } from '../../src/state/types.js';

let env: CodexTestEnv;
let service: Service | undefined;

beforeEach(async () => {
  env = await codexTestEnv((req) => ({ kind: 'reply', text: `echo: ${req.lastUserText.slice(-20)}` }));
});

afterEach(async () => {
  await service?.stop();
  service = undefined;
  await env.cleanup();
});

const mode = (p: string): number => statSync(p).mode & 0o777;

/** Every path under `dir` (the dir itself first) with its mode. */
function walk(dir: string): { path: string; mode: number; dir: boolean }[] {
  const out = [{ path: dir, mode: mode(dir), dir: true }];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push({ path: p, mode: mode(p), dir: false });
  }
  return out;
}

const octal = (m: number): string => `0${m.toString(8)}`;

describe('state dir permissions (real service)', () => {
  it('tightens a 0755 dir and 0644 files at start, and writes every file 0600 / dir 0700', async () => {
    const dir = env.stateDir;
    chmodSync(dir, 0o755);
    const stateFile = path.join(dir, 'state.json');
    writeFileSync(stateFile, JSON.stringify({ version: STATE_VERSION, dispatchers: {}, queue: {}, seen: {}, web: {} }), { mode: 0o644 });
    chmodSync(stateFile, 0o644);
    mkdirSync(path.join(dir, 'logs'), { mode: 0o755 });
    chmodSync(path.join(dir, 'logs'), 0o755);
    const oldLog = path.join(dir, 'logs', 'codex-main.log');
    writeFileSync(oldLog, 'an earlier run\n');
    chmodSync(oldLog, 0o644);

    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const config = parseConfig(
      {
        stateDir: dir,
        codex: testCodexConfig(env),
        channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
        dispatchers: [mainDispatcher(env, 'local')],
      },
      { file: '<state-modes>' },
    );
    service = await startService(config, { logger: createLogger('info', sink) });

    expect(octal(mode(dir))).toBe('0700');
    expect(octal(mode(stateFile))).toBe('0600');
    expect(octal(mode(path.join(dir, 'logs')))).toBe('0700');
    expect(octal(mode(oldLog))).toBe('0600');
    const tightened = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('state dir permissions tightened'));
    expect(tightened).toHaveLength(1);
    expect(tightened[0]).toMatchObject({ count: 4, paths: expect.arrayContaining(['.', 'state.json', 'logs', path.join('logs', 'codex-main.log')]) });

    const url = (service.channels.get('local') as unknown as { url: string }).url;
    const res = await fetch(`${url}/api/conversations/c1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello private state' }),
    });
    expect(res.status).toBe(202);
    const messages = async (): Promise<WebMessage[]> =>
      ((await (await fetch(`${url}/api/conversations/c1/messages`)).json()) as { messages: WebMessage[] }).messages;
    await waitForCount(
      async () => (await messages()).filter((m) => m.role === 'assistant'),
      1,
      30_000,
      (got) => `no answer: ${JSON.stringify(got)}`,
    );
    // Wait for the write that holds the answer to reach the history file.
    const history = path.join(dir, 'web-local.jsonl');
    await waitForCount(
      () => (existsSync(history) && readFileSync(history, 'utf8').includes('echo: ') ? [true] : []),
      1,
      30_000,
      () => 'the answer never reached web-local.jsonl',
    );

    const tree = walk(dir);
    const names = tree.map((e) => path.relative(dir, e.path));
    expect(names).toEqual(expect.arrayContaining(['state.json', 'web-local.jsonl', 'admin.sock', path.join('logs', 'codex-main.log')]));
    const loose = tree.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${path.relative(dir, e.path) || '.'} ${octal(e.mode)}`);
    expect(loose).toEqual([]);
  });
});
