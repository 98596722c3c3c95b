/**
 * A malformed queue entry never wedges a dispatcher (issue 14 §12), through the real service: real
 * codex app-server (scripted model), real web channel, a state file left by a "previous run" with
 * one queue entry lacking its sender between two good ones. The good ones are answered in order,
 * the bad one is quarantined with a notice to its conversation, and `switchboard status` says so.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_VERSION, type QueuedMessage } from '../../src/state/types.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { killLeftoverClis, runCli } from '../support/e2e-cli.js';
import { startTestService, stripHeader, type TestService } from '../support/service.js';

let env: CodexTestEnv;
let svc: TestService | undefined;

beforeAll(async () => {
  env = await codexTestEnv(async (req) => ({ kind: 'reply', text: `echo: ${stripHeader(req.lastUserText)}` }));
});

afterAll(async () => {
  await svc?.stop();
  await killLeftoverClis();
  await env.cleanup();
});

function queued(n: number, text: string): QueuedMessage {
  return {
    id: `q${n}`,
    dedupKey: `local:general:m${n}`,
    kind: 'message',
    address: { channelId: 'local', conversation: 'general', messageId: `m${n}` },
    sender: { id: 'u1', name: 'Ann' },
    text,
    acceptedAt: Date.now() - 60_000 + n,
    attempts: 0,
  };
}

describe('a malformed queue entry (real service)', () => {
  it('is quarantined and its conversation told; the entries around it are answered in order; status shows 1 quarantined', async () => {
    const { sender: _gone, ...bad } = queued(2, 'the lost one');
    const doc = {
      version: STATE_VERSION,
      dispatchers: {},
      queue: { main: [queued(1, 'first'), bad, queued(3, 'third')] },
      seen: { main: ['local:general:m1', 'local:general:m2', 'local:general:m3'] },
      web: {},
    };
    await writeFile(path.join(env.stateDir, 'state.json'), JSON.stringify(doc));
    svc = await startTestService(env);

    const replies = await svc.waitForReplies('general', 3);
    expect(replies[0]?.text).toMatch(/^⚠️ A message could not be processed: .*sender/);
    expect(replies.slice(1).map((m) => [m.replyTo, m.text])).toEqual([
      ['m1', 'echo: first'],
      ['m3', 'echo: third'],
    ]);
    // The answer is posted before its entry leaves the queue: wait for the dispatcher to settle.
    await svc.service.dispatchers.get('main')!.whenIdle();
    expect(svc.service.store.listQueue('main')).toEqual([]);
    expect(svc.service.store.listQuarantine()).toEqual([expect.objectContaining({ from: 'queue.main[1]', raw: bad, noticed: true })]);

    const status = await runCli(['status', '--socket', svc.service.adminSocket]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/QUARANTINED: 1 malformed state entry/);
    const json = await runCli(['status', '--socket', svc.service.adminSocket, '--json']);
    const parsed = JSON.parse(json.stdout) as { quarantined: number; dispatchers: { quarantined: number }[] };
    expect(parsed.quarantined).toBe(1);
    expect(parsed.dispatchers[0]?.quarantined).toBe(1);

    // The queue goes on.
    expect((await svc.post('general', 'fourth', 'm4')).status).toBe(202);
    const more = await svc.waitForReplies('general', 4);
    expect(more[3]).toMatchObject({ replyTo: 'm4', text: 'echo: fourth' });
  });
});
