/**
 * Issue 14 §10–11 on the real service (real codex app-server, scripted model, real web channel):
 * with state.json unwritable (replaced by a directory, test/support/broken-state.ts, which stops
 * the store's rename even for root) a message is refused and never run, losing a codex child does
 * not end the service, status and /readyz say `degraded: state not writable`, and everything
 * recovers by itself once the state can be written again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatStatusTable } from '../../src/cli/format-status.js';
import type { ScriptFn } from '../../src/demo/scripted-model.js';
import { breakStateFile } from '../support/broken-state.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { isAlive, pollUntil } from '../support/e2e-cli.js';
import { startTestService, stripHeader, type TestService } from '../support/service.js';

const echo: ScriptFn = async (req) => ({ kind: 'reply', text: `echo: ${stripHeader(req.lastUserText)}` });

let env: CodexTestEnv;
let s: TestService | null = null;

beforeEach(async () => {
  env = await codexTestEnv(echo);
});
afterEach(async () => {
  await s?.stop();
  s = null;
  await env.cleanup();
});

/** How many model requests carried `text` as the user's message. */
const asked = (text: string): number => env.model.requests.filter((r) => stripHeader(r.lastUserText) === text).length;

/** The answers (assistant messages) to message `id` in the conversation. */
async function answersTo(t: TestService, conversation: string, id: string): Promise<string[]> {
  return (await t.messages(conversation)).filter((m) => m.role === 'assistant' && m.replyTo === id).map((m) => m.text);
}

async function answered(t: TestService, conversation: string, id: string): Promise<string[]> {
  return pollUntil(async () => {
    const got = await answersTo(t, conversation, id);
    return got.length > 0 ? got : undefined;
  }, `an answer to ${id}`);
}

describe('a state that cannot be written', () => {
  it('a message refused as not stored is never answered; its resend is answered once', async () => {
    s = await startTestService(env);
    expect((await s.post('c', 'warm up', 'w1')).status).toBe(202);
    await answered(s, 'c', 'w1');

    const broken = await breakStateFile(env.stateDir);
    const refused = await s.post('c', 'must not run', 'r1');
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: 'not_stored', messageId: 'r1' });
    expect(String(refused.body.message)).toMatch(/not stored, so it will not be answered: state not writable \(EISDIR/);
    // A completion delivered now (the admin API's path) is refused the same way: nothing recorded.
    const completion = { id: 'ext-1', text: 'the build passed' };
    expect(await s.service.deliverCompletion('main', completion)).toMatchObject({ status: 'not_stored', error: expect.stringMatching(/^state not writable/) });
    expect(s.service.store.getCompletion('main', 'ext-1')).toBeUndefined();
    await broken.restore();

    // A later message's answer proves the queue ran past the point where r1 would have been.
    expect((await s.post('c', 'after the refusal', 'l1')).status).toBe(202);
    expect(await answered(s, 'c', 'l1')).toEqual(['echo: after the refusal']);
    expect(await answersTo(s, 'c', 'r1')).toEqual([]);
    expect(asked('must not run')).toBe(0);

    // The sender resends it (same client id): it is new to the dispatcher and answered once.
    expect((await s.post('c', 'must not run', 'r1')).status).toBe(202);
    expect(await answered(s, 'c', 'r1')).toEqual(['echo: must not run']);
    await s.service.dispatchers.get('main')!.whenIdle();
    expect(await answersTo(s, 'c', 'r1')).toHaveLength(1);
    expect(asked('must not run')).toBe(1);
    // Its resend is new, too.
    expect(await s.service.deliverCompletion('main', completion)).toMatchObject({ status: 'submitted' });
  });

  it('losing the codex child degrades instead of crashing; the service recovers by itself', async () => {
    s = await startTestService(env);
    const t = s;
    expect((await t.post('c', 'before', 'b1')).status).toBe(202);
    await answered(t, 'c', 'b1');
    const main = (): ReturnType<typeof t.service.status>['dispatchers'][number] => t.service.status().dispatchers[0]!;
    const oldPid = main().pid!;
    expect(oldPid).toEqual(expect.any(Number));

    const broken = await breakStateFile(env.stateDir);
    process.kill(oldPid, 'SIGKILL');
    // The runtime's restart path writes its record: that write fails, the service stays up.
    const state = await pollUntil(() => {
      const st = t.service.status().state;
      return st.status === 'degraded' ? st : undefined;
    }, 'status degraded');
    expect(state).toMatchObject({ reason: 'state not writable', error: expect.stringMatching(/^EISDIR/) });
    expect(formatStatusTable(t.service.status())).toMatch(/^degraded: state not writable since /);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', reason: expect.stringMatching(/^degraded: state not writable \(EISDIR/) });
    // The runtime restarts meanwhile (its record is kept in memory): a new codex child comes up.
    await pollUntil(() => (main().status === 'ready' && main().pid !== oldPid ? true : undefined), 'the runtime restarted', 30_000);
    expect(isAlive(oldPid)).toBe(false);

    const refused = await t.post('c', 'while degraded', 'd1');
    expect(refused.status).toBe(503);
    expect(String(refused.body.message)).toMatch(/state not writable/);

    await broken.restore();
    await pollUntil(() => (t.service.status().state.status === 'ok' ? true : undefined), 'status ok again');
    const readyAgain = await pollUntil(async () => {
      const r = await fetch(`${t.url}/readyz`);
      return r.status === 200 ? r : undefined;
    }, '/readyz 200');
    expect(readyAgain.status).toBe(200);
    expect(formatStatusTable(t.service.status())).not.toMatch(/degraded/);
    expect((await t.post('c', 'after recovery', 'a1')).status).toBe(202);
    expect(await answered(t, 'c', 'a1')).toEqual(['echo: after recovery']);
    expect(asked('while degraded')).toBe(0);
    expect(main().restartCount).toBeGreaterThanOrEqual(1);
  });
});
