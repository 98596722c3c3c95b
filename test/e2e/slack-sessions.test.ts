/**
 * Sessions through Slack: the REAL service and a REAL codex app-server (scripted model) behind the
 * Slack adapter (real Bolt) and the fake Slack platform. A binding with `session: thread` gives
 * every Slack thread its own Codex thread on the dispatcher's one app-server; `busy` says what a
 * message does while its session runs a turn; `new`, `queue` and `cancel N` act on the asker's
 * session with their permission rules.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRequest, ScriptFn } from '../../src/demo/scripted-model.js';
import { stoppedText } from '../../src/dispatch/messages.js';
import { cancelRefusedText, freshWhileRunningText, steeredText } from '../../src/dispatch/sessions/texts.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { waitFor } from '../support/fake-clock.js';
import { appMention, startFakeSlack, type FakeSlack } from '../support/fake-slack/index.js';
import { stripHeader } from '../support/service.js';
import { startSlackTestService, type SlackTestService, type SlackTestServiceOptions } from '../support/slack-service.js';

let env: CodexTestEnv;
let fake: FakeSlack;
const running: SlackTestService[] = [];
/** Texts whose first model request hangs (the turn then runs until stopped, or re-runs after a kill). */
const hangOnce = new Set<string>();
const hung = new Set<string>();
/** A file the `wait` command of the scripted model waits for (event-driven slow turn). */
let gateFile = '';

/** The user texts of a request without the sender headers, context blocks left out. */
const userTexts = (req: ModelRequest): string[] => req.userTexts.filter((t) => t.startsWith('[')).map(stripHeader);

const script: ScriptFn = async (req) => {
  const text = stripHeader(req.lastUserText);
  if (text.startsWith('hang') && hangOnce.has(text) && !hung.has(text)) {
    hung.add(text);
    return { kind: 'hang' };
  }
  if (text === 'hang forever') return { kind: 'hang' };
  // A slow turn: one command that waits for the test's go-ahead, then an answer naming every message of the turn.
  if (text === 'work slowly' && req.functionOutputs.length === 0) {
    return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: `while [ ! -f ${gateFile} ]; do sleep 0.05; done; echo ready`, login: false } };
  }
  if (req.functionOutputs.length > 0) return { kind: 'reply', text: `done with: ${userTexts(req).join(' + ')}` };
  if (text === 'recall') return { kind: 'reply', text: `I know: ${userTexts(req).join(' | ')}` };
  return { kind: 'reply', text: `echo: ${text}` };
};

beforeEach(async () => {
  hangOnce.clear();
  hung.clear();
  env = await codexTestEnv(script);
  gateFile = path.join(env.workDir, 'gate', 'go');
  await mkdir(path.dirname(gateFile), { recursive: true });
  fake = await startFakeSlack({ users: { U1: { name: 'ada', display_name: 'Ada' }, U2: { name: 'grace', display_name: 'Grace' }, UADMIN: { name: 'root' } } });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await fake.close();
  await env.cleanup();
});

async function start(opts: Partial<SlackTestServiceOptions> = {}): Promise<SlackTestService> {
  const s = await startSlackTestService(env, fake, { mode: 'http', access: { admins: ['UADMIN'] }, bindings: [{ session: 'thread' }], ...opts });
  running.push(s);
  return s;
}

/** Posts `text` as a mention; in thread `thread` when given. Returns the message ts. */
async function say(s: SlackTestService, user: string, text: string, thread?: string): Promise<string> {
  const ts = fake.nextTs();
  await s.deliver(appMention({ user, channel: 'C1', text: `<@UBOT> ${text}`, ts, ...(thread ? { thread_ts: thread } : {}) }));
  return ts;
}

/** As `say`, then waits until the message is queued (Slack acks before the adapter looked the sender up). */
async function sayQueued(s: SlackTestService, user: string, text: string, thread: string): Promise<void> {
  const queued = (): boolean => s.service.store.listQueue('main').some((e) => e.kind === 'message' && e.text === text);
  await say(s, user, text, thread);
  await waitFor(queued, 30_000, `${text} queued`);
}

const texts = (s: SlackTestService, thread: string): string[] => s.postsIn('C1', thread).map((p) => String(p.body.text));
/** True when a post in the thread contains `text` (notices are rendered with a prefix). */
const has = (s: SlackTestService, thread: string, text: string): boolean => texts(s, thread).some((x) => x.includes(text));
const requestsFor = (text: string): ModelRequest[] => env.model.requests.filter((r) => stripHeader(r.lastUserText) === text);

describe('Slack sessions (session: thread) → real service → real codex', () => {
  it('two Slack threads are two Codex threads: each remembers only its own messages', async () => {
    const s = await start();
    const t1 = await say(s, 'U1', 'alpha is the word');
    const t2 = await say(s, 'U2', 'beta is the word');
    await s.waitForPosts('C1', t1, 1);
    await s.waitForPosts('C1', t2, 1);
    await say(s, 'U1', 'recall', t1);
    await say(s, 'U2', 'recall', t2);
    const [, r1] = await s.waitForPosts('C1', t1, 2);
    const [, r2] = await s.waitForPosts('C1', t2, 2);
    expect(String(r1!.body.text)).toBe('I know: alpha is the word | recall');
    expect(String(r2!.body.text)).toBe('I know: beta is the word | recall');

    const status = s.service.dispatchers.get('main')!.status();
    const sessions = status.sessions.filter((x) => x.scope === 'thread');
    expect(sessions.map((x) => x.place?.thread).sort()).toEqual([t1, t2].sort());
    const ids = sessions.map((x) => x.threadId);
    expect(new Set(ids).size).toBe(2);
    expect(ids).not.toContain(status.threadId);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
  });

  it('maxConcurrentTurns 2: two sessions run at once; a kill -9 of codex with both queued resumes both threads, each message answered once', async () => {
    const s = await start({ dispatcher: { maxConcurrentTurns: 2 } });
    hangOnce.add('hang one');
    hangOnce.add('hang two');
    const t1 = await say(s, 'U1', 'hang one');
    const t2 = await say(s, 'U2', 'hang two');
    // Both turns reach the model while neither finished: they run concurrently.
    await waitFor(() => requestsFor('hang one').length === 1 && requestsFor('hang two').length === 1, 30_000, 'both turns running');
    const d = s.service.dispatchers.get('main')!;
    expect(d.status().runningTurns).toBe(2);
    await say(s, 'U1', 'after one', t1);
    await say(s, 'U2', 'after two', t2);
    const before = d.status().sessions.filter((x) => x.scope === 'thread');
    const pid = d.status().pid!;
    process.kill(pid, 'SIGKILL');

    // After the restart the cut-off turns re-run once, then the queued ones, in their own threads.
    const p1 = await s.waitForPosts('C1', t1, 2, 60_000);
    const p2 = await s.waitForPosts('C1', t2, 2, 60_000);
    expect(p1.map((p) => String(p.body.text))).toEqual(['echo: hang one', 'echo: after one']);
    expect(p2.map((p) => String(p.body.text))).toEqual(['echo: hang two', 'echo: after two']);
    await d.whenIdle();
    const after = d.status().sessions.filter((x) => x.scope === 'thread');
    expect(after.map((x) => [x.key, x.threadId]).sort()).toEqual(before.map((x) => [x.key, x.threadId]).sort());
    expect(d.status().pid).not.toBe(pid);
    expect(requestsFor('after one')).toHaveLength(1);
    expect(requestsFor('after two')).toHaveLength(1);
    expect(texts(s, t1)).toHaveLength(2);
    expect(texts(s, t2)).toHaveLength(2);
  });

  it('busy steer: a message sent during a slow turn joins it (no turn of its own); the answer reflects it', async () => {
    const s = await start({ bindings: [{ session: 'thread', busy: 'steer' }] });
    const t = await say(s, 'U1', 'work slowly');
    await waitFor(() => requestsFor('work slowly').length === 1, 30_000, 'the slow turn ran its command');
    await say(s, 'U2', 'and mind the tests', t);
    await waitFor(() => has(s, t, steeredText()), 30_000, 'steer acknowledged');
    await writeFile(gateFile, 'go');
    await waitFor(() => texts(s, t).some((x) => x.startsWith('done with')), 30_000, `the answer; the thread has ${JSON.stringify(texts(s, t))}`);
    await s.service.dispatchers.get('main')!.whenIdle();
    // The steered message never ran as a turn of its own (it would have answered a third time).
    // (The live answer started before the acknowledgement, so it is listed first.)
    expect(texts(s, t)).toEqual(['done with: work slowly + and mind the tests', steeredText()]);
  });

  it('busy interrupt: a new message stops the running turn and is answered next', async () => {
    const s = await start({ bindings: [{ session: 'thread', busy: 'interrupt' }] });
    const t = await say(s, 'U1', 'hang forever');
    await waitFor(() => requestsFor('hang forever').length === 1, 30_000, 'the turn runs');
    await say(s, 'U2', 'never mind, do this', t);
    const posts = await s.waitForPosts('C1', t, 2);
    expect(posts.map((p) => String(p.body.text))).toEqual([stoppedText('Grace'), 'echo: never mind, do this']);
  });

  it('queue, cancel N and new act on the asker’s session, with their permissions', async () => {
    const s = await start();
    const t = await say(s, 'U1', 'hang forever');
    await waitFor(() => requestsFor('hang forever').length === 1, 30_000, 'the turn runs');
    await sayQueued(s, 'U1', 'first waiting', t);
    await sayQueued(s, 'U2', 'second waiting', t);
    await sayQueued(s, 'U1', 'third waiting', t);
    const d = s.service.dispatchers.get('main')!;
    await waitFor(() => d.status().sessions.find((x) => x.scope === 'thread')?.queueDepth === 4, 30_000, 'the running turn and three waiting');

    await say(s, 'U2', 'queue', t);
    await waitFor(() => texts(s, t).some((x) => x.includes('3 waiting')), 30_000, 'queue answered');
    const list = texts(s, t).find((x) => x.includes('3 waiting'))!;
    expect(list).toMatch(/1\.\s+Ada: “first waiting”/);
    expect(list).toMatch(/2\.\s+Grace: “second waiting”/);
    expect(list).toMatch(/3\.\s+Ada: “third waiting”/);

    await say(s, 'U2', 'cancel 1', t);
    await waitFor(() => has(s, t, cancelRefusedText('Ada')), 30_000, 'cancel refused');
    await say(s, 'U2', 'cancel 2', t);
    await waitFor(() => texts(s, t).some((x) => x.startsWith('🗑️ Cancelled Grace')), 30_000, 'own message cancelled');
    await say(s, 'UADMIN', 'cancel 1', t);
    await waitFor(() => texts(s, t).some((x) => x.startsWith('🗑️ Cancelled Ada')), 30_000, 'admin cancelled another');
    await say(s, 'U2', 'new', t);
    await waitFor(() => has(s, t, freshWhileRunningText()), 30_000, 'new refused while running');

    await say(s, 'U1', 'stop', t);
    await waitFor(() => has(s, t, stoppedText('Ada')), 30_000, 'stopped');
    await waitFor(() => has(s, t, 'echo: third waiting'), 30_000, 'the one left answered');
    await d.whenIdle();
    expect(requestsFor('first waiting')).toHaveLength(0);
    expect(requestsFor('second waiting')).toHaveLength(0);

    const old = d.status().sessions.find((x) => x.scope === 'thread')!.threadId;
    await say(s, 'U2', 'new', t);
    await waitFor(() => texts(s, t).some((x) => x.startsWith('🆕')), 30_000, 'fresh thread');
    const now = d.status().sessions.find((x) => x.scope === 'thread')!;
    expect(now.threadId).not.toBe(old);
    expect(now.previousThreadIds).toEqual([old]);
    await say(s, 'U2', 'recall', t);
    await waitFor(() => has(s, t, 'I know: recall'), 30_000, 'the fresh thread has no earlier context');
  });
});
