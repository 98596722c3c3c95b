/**
 * Completion delivery through the real service: admin socket → dispatcher →
 * `thread/inject_items` on the real codex → trigger turn → answer in the origin
 * conversation (web channel).
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminApiError, adminRequest } from '../../src/admin/client.js';
import type { CompletionRequestBody } from '../../src/admin/completion-route.js';
import type { DeliverResult } from '../../src/dispatch/completions.js';
import type { ModelRequest, ScriptFn } from '../../src/demo/scripted-model.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { waitFor } from '../support/fake-clock.js';
import { startTestService, stripHeader, type TestService } from '../support/service.js';

let env: CodexTestEnv;
const running: TestService[] = [];

const echo: ScriptFn = (req) => ({ kind: 'reply', text: `echo: ${stripHeader(req.lastUserText).slice(0, 60)}` });

/** Developer items in a model request that carry completion `id`. */
function injectedCopies(req: ModelRequest | undefined, id: string): number {
  return (req?.messages ?? []).filter((m) => m.role === 'developer' && m.text.includes(`<teammate_completion id="${id}"`)).length;
}

function isTrigger(req: ModelRequest, id: string): boolean {
  return req.lastUserText.startsWith('[Switchboard]') && req.lastUserText.includes(`completion ${id} `);
}

async function start(): Promise<TestService> {
  const s = await startTestService(env);
  running.push(s);
  return s;
}

function deliver(s: TestService, body: Partial<CompletionRequestBody>): Promise<DeliverResult> {
  const full = { dispatcher: 'main', origin: { channel: 'local', conversation: 'general' }, ...body } as CompletionRequestBody;
  return adminRequest<DeliverResult>(s.service.adminSocket, 'POST', '/completions', { body: full });
}

function record(s: TestService, id: string) {
  return s.service.store.getCompletion('main', id);
}

beforeEach(async () => {
  env = await codexTestEnv(echo);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await env.cleanup();
});

describe('completion delivery (real codex)', () => {
  it('injects the completion once, runs a trigger turn, and posts the answer to the origin conversation', async () => {
    const s = await start();
    expect(await deliver(s, { id: 'c1', text: 'Tests pass: 42 of 42.', teammate: 'builder' })).toEqual({ status: 'submitted', position: 1 });
    const [reply] = await s.waitForReplies('general', 1);
    expect(reply).toMatchObject({ role: 'assistant', text: expect.stringContaining('echo: [Switchboard] Teammate builder delivered completion c1') });
    const trigger = env.model.requests.find((r) => isTrigger(r, 'c1'));
    expect(injectedCopies(trigger, 'c1')).toBe(1);
    expect(trigger?.allText).toContain('Tests pass: 42 of 42.');
    await waitFor(() => record(s, 'c1')?.state === 'delivered', 5000, 'delivered');
    expect(record(s, 'c1')).toMatchObject({ teammate: 'builder', status: 'completed', deliveredAsTurn: false, answer: reply?.text });
  });

  it('accepts a replay without a second injection or trigger, also when duplicates race', async () => {
    const s = await start();
    const results = await Promise.all([deliver(s, { id: 'c2', text: 'done' }), deliver(s, { id: 'c2', text: 'done' })]);
    expect(results.map((r) => r.status).sort()).toEqual(['duplicate', 'submitted']);
    await s.waitForReplies('general', 1);
    await waitFor(() => record(s, 'c2')?.state === 'delivered', 5000, 'delivered');
    expect(await deliver(s, { id: 'c2', text: 'done' })).toEqual({ status: 'duplicate', state: 'delivered' });
    await s.service.dispatchers.get('main')!.whenIdle();
    expect(env.model.requests.filter((r) => isTrigger(r, 'c2'))).toHaveLength(1);
    expect(injectedCopies(env.model.requests.at(-1), 'c2')).toBe(1);
    expect(await s.messages('general')).toHaveLength(1);
  });

  it('retries a failed trigger turn without injecting again', async () => {
    const s = await start();
    let triggers = 0;
    env.model.setScript((req) => {
      if (isTrigger(req, 'c3') && ++triggers === 1) return { kind: 'streamError', message: 'trigger broke' };
      return echo(req);
    });
    await deliver(s, { id: 'c3', text: 'report ready' });
    await waitFor(() => record(s, 'c3')?.state === 'delivered', 15_000, 'delivered after retry');
    expect(triggers).toBe(2);
    const last = env.model.requests.filter((r) => isTrigger(r, 'c3')).at(-1);
    expect(injectedCopies(last, 'c3')).toBe(1);
    const replies = await s.waitForReplies('general', 1);
    expect(replies.map((r) => r.role)).toEqual(['assistant']);
  });

  it('triggers once after a service restart between injection and trigger, never injecting twice', async () => {
    env.model.setScript((req) => (isTrigger(req, 'c4') ? { kind: 'hang' } : echo(req)));
    const first = await start();
    await deliver(first, { id: 'c4', text: 'migrated the database' });
    await waitFor(
      () => record(first, 'c4')?.state === 'injected' && first.service.status().dispatchers[0]?.runningTurnAgeMs !== null,
      10_000,
      'injected and triggering',
    );
    running.splice(running.indexOf(first), 1);
    await first.stop();
    env.model.setScript(echo);
    const before = env.model.requests.length;
    const second = await start();
    await waitFor(() => record(second, 'c4')?.state === 'delivered', 15_000, 'delivered after restart');
    const after = env.model.requests.slice(before).filter((r) => isTrigger(r, 'c4'));
    expect(after).toHaveLength(1);
    expect(injectedCopies(after[0], 'c4')).toBe(1);
  });

  it('spills a large completion to a file and injects its path with the first part', async () => {
    const s = await start();
    const text = `BEGIN ${'x'.repeat(40 * 1024)} END`;
    await deliver(s, { id: 'big:1', text });
    await waitFor(() => record(s, 'big:1')?.state === 'delivered', 10_000, 'delivered');
    const rec = record(s, 'big:1')!;
    expect(rec.spillPath).toBe(path.join(env.stateDir, 'completions', 'main', 'big_1.md'));
    expect(await readFile(rec.spillPath!, 'utf8')).toBe(text);
    expect(Buffer.byteLength(rec.text)).toBeLessThanOrEqual(32 * 1024);
    const trigger = env.model.requests.find((r) => isTrigger(r, 'big:1'));
    expect(trigger?.allText).toContain(`the complete text is in ${rec.spillPath}`);
    expect(trigger?.allText).not.toContain(' END');
  });

  it('refuses bad input with a clear error and delivers nothing', async () => {
    const s = await start();
    const refused = async (body: Partial<CompletionRequestBody>): Promise<{ status: number; error: string }> => {
      const err = await deliver(s, body).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AdminApiError);
      const e = err as AdminApiError;
      return { status: e.status, error: (e.body as { error: string }).error };
    };
    expect(await refused({ dispatcher: 'nope', id: 'x', text: 't' })).toMatchObject({
      status: 404,
      error: expect.stringContaining('unknown dispatcher "nope"'),
    });
    expect(await refused({ id: 'x', text: '   ' })).toEqual({ status: 400, error: 'text must not be empty' });
    expect(await refused({ id: 'bad id!', text: 't' })).toMatchObject({ status: 400, error: expect.stringContaining('id must be') });
    expect(await refused({ text: 't' })).toMatchObject({ status: 400, error: expect.stringContaining('id') });
    expect(await refused({ id: 'x', text: 't', origin: { channel: 'nope', conversation: 'c' } })).toMatchObject({
      status: 400,
      error: expect.stringContaining('unknown channel'),
    });
    expect(s.service.store.listCompletions('main')).toEqual([]);
    expect(env.model.requests).toHaveLength(0);
  });

  it('`switchboard completion deliver` submits through the admin socket and reports a replay', async () => {
    const s = await start();
    const cli = path.resolve('dist/cli/main.js');
    await stat(cli);
    const run = (args: string[]) => promisify(execFile)(process.execPath, [cli, 'completion', 'deliver', '--socket', s.service.adminSocket, ...args]);
    const first = await run(['--dispatcher', 'main', '--id', 'cli-1', '--text', 'from the CLI', '--channel', 'local', '--conversation', 'general']);
    expect(first.stdout).toContain('completion cli-1 submitted');
    const again = await run(['--dispatcher', 'main', '--id', 'cli-1', '--text', 'from the CLI']);
    expect(again.stdout).toContain('already delivered or queued');
    const bad = await run(['--dispatcher', 'ghost', '--id', 'cli-2', '--text', 't']).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toContain('unknown dispatcher "ghost"');
    await s.waitForReplies('general', 1);
  });
});
