/**
 * Dispatcher behaviour through the real service: web channel → FIFO queue →
 * real codex app-server (scripted model) → reply in the same conversation.
 */
import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScriptFn } from '../../src/demo/scripted-model.js';
import { statusLineText, stoppedText } from '../../src/dispatch/messages.js';
import { codexTestEnv, rolloutHolds, type CodexTestEnv } from '../support/codex-env.js';
import { pollUntil } from '../support/e2e-cli.js';
import { waitFor } from '../support/fake-clock.js';
import { freePort } from '../support/ports.js';
import { startTestService, stripHeader, type TestService } from '../support/service.js';

let env: CodexTestEnv;
const running: TestService[] = [];

/** Echo script that also records how many model requests overlap. */
function echoScript(delayMs = 0): { script: ScriptFn; maxInFlight: () => number } {
  let inFlight = 0;
  let max = 0;
  return {
    maxInFlight: () => max,
    script: async (req) => {
      inFlight++;
      max = Math.max(max, inFlight);
      try {
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        const text = stripHeader(req.lastUserText);
        if (text.startsWith('hang')) return { kind: 'hang' };
        if (text.startsWith('explode')) return { kind: 'streamError', message: 'model exploded' };
        return { kind: 'reply', text: `echo: ${text}` };
      } finally {
        inFlight--;
      }
    },
  };
}

async function start(opts: Parameters<typeof startTestService>[1] = {}): Promise<TestService> {
  const s = await startTestService(env, opts);
  running.push(s);
  return s;
}

async function stop(s: TestService): Promise<void> {
  running.splice(running.indexOf(s), 1);
  await s.stop();
}

beforeEach(async () => {
  env = await codexTestEnv(echoScript().script);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await env.cleanup();
});

describe('dispatcher (real codex through the web channel)', () => {
  it('answers five quick messages in order, one turn at a time, each reply to its own message', async () => {
    const echo = echoScript(60);
    env.model.setScript(echo.script);
    const s = await start();
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const res = await s.post('general', `message ${i}`);
      expect(res.status).toBe(202);
      ids.push(res.body.messageId as string);
    }
    const replies = await s.waitForReplies('general', 5);
    expect(replies.map((r) => r.text)).toEqual([1, 2, 3, 4, 5].map((i) => `echo: message ${i}`));
    expect(replies.map((r) => r.replyTo)).toEqual(ids);
    expect(replies.every((r) => r.role === 'assistant')).toBe(true);
    expect(echo.maxInFlight()).toBe(1);
    expect(env.model.requests.map((r) => stripHeader(r.lastUserText))).toEqual([1, 2, 3, 4, 5].map((i) => `message ${i}`));
    // The reply is posted just before its queue entry is settled; wait for the queue to drain.
    await waitFor(() => s.service.status().dispatchers[0]?.queueDepth === 0, 10_000, 'the queue to drain');
    expect(s.service.status().dispatchers[0]?.waitingTurns).toBe(0);
  });

  it('runs one turn for a duplicate platform message id', async () => {
    const s = await start();
    expect((await s.post('general', 'only once', 'client-1')).status).toBe(202);
    const dup = await s.post('general', 'only once', 'client-1');
    expect(dup.status).toBe(200);
    expect(dup.body.duplicate).toBe(true);
    await s.waitForReplies('general', 1);
    await s.service.dispatchers.get('main')!.whenIdle();
    expect(env.model.requests.filter((r) => r.lastUserText.endsWith('only once'))).toHaveLength(1);
    expect((await s.messages('general')).filter((m) => m.role === 'user')).toHaveLength(1);
  });

  it('refuses messages past the queue bound and says so in the chat', async () => {
    const s = await start({ queueLimit: 2 });
    env.model.setScript(echoScript(800).script);
    expect((await s.post('general', 'first')).status).toBe(202);
    expect((await s.post('general', 'second')).status).toBe(202);
    const third = await s.post('general', 'third');
    expect(third.status).toBe(429);
    expect(third.body.error).toBe('queue_full');
    const replies = await s.waitForReplies('general', 3);
    const notice = replies.find((r) => r.role === 'system');
    expect(notice?.text).toMatch(/not\*\* queued|not queued|Not delivered/);
    expect(replies.filter((r) => r.role === 'assistant').map((r) => r.text)).toEqual(['echo: first', 'echo: second']);
  });

  it('survives kill -9 of the codex child mid-queue: restarts and answers every queued message', async () => {
    env.model.setScript(echoScript(300).script);
    const s = await start();
    const d = s.service.dispatchers.get('main')!;
    for (const t of ['a', 'b', 'c']) expect((await s.post('general', `crash ${t}`)).status).toBe(202);
    await waitFor(() => d.status().runningTurnAgeMs !== null, 10_000, 'a running turn');
    const pid = d.status().pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => d.status().status === 'degraded' || d.status().pid !== pid, 10_000, 'runtime lost');
    const replies = await s.waitForReplies('general', 3, 40_000);
    expect(replies.map((r) => r.text)).toEqual(['echo: crash a', 'echo: crash b', 'echo: crash c']);
    const st = d.status();
    expect(st.status).toBe('ready');
    expect(st.restartCount).toBe(1);
    expect(st.pid).not.toBe(pid);
  });

  it('interrupts a turn past its timeout, posts a failure, and goes on with the next message', async () => {
    const s = await start({ turnTimeoutMs: 1000 });
    await s.post('general', 'hang forever');
    await s.post('general', 'after the hang');
    const replies = await s.waitForReplies('general', 2);
    expect(replies[0]?.role).toBe('system');
    expect(replies[0]?.text).toMatch(/longer than 1 s.*interrupted/);
    expect(replies[1]).toMatchObject({ role: 'assistant', text: 'echo: after the hang' });
  });

  it('posts a short error when the model fails the turn', async () => {
    const s = await start();
    await s.post('general', 'explode please');
    const [reply] = await s.waitForReplies('general', 1);
    expect(reply?.role).toBe('system');
    expect(reply?.text).toMatch(/could not answer: .*model exploded/);
  });

  it('tells the chat once when codex retries a turn, then answers', async () => {
    // Let codex retry a broken stream twice: the first two model requests fail, the third answers.
    const s = await start({ overrides: { 'model_providers.mock.stream_max_retries': '2' } });
    let calls = 0;
    env.model.setScript((req) => {
      calls++;
      return calls <= 2 ? { kind: 'streamError', message: 'flaky upstream' } : { kind: 'reply', text: `echo: ${stripHeader(req.lastUserText)}` };
    });
    await s.post('general', 'are you there?');
    const replies = await s.waitForReplies('general', 2);
    expect(calls).toBe(3);
    expect(replies[0]).toMatchObject({ role: 'system', text: expect.stringMatching(/^⏳ Codex ran into a problem and keeps retrying: .*1\/2/) });
    expect(replies[1]).toMatchObject({ role: 'assistant', text: 'echo: are you there?' });
    expect(replies).toHaveLength(2);
  });

  it('shows a turn whose model endpoint keeps failing as retrying in status, with the retry count and error', async () => {
    const s = await start({ overrides: { 'model_providers.mock.stream_max_retries': '50' } });
    env.model.setScript(() => ({ kind: 'streamError', message: 'upstream is down' }));
    await s.post('general', 'are you there?');
    const d = s.service.dispatchers.get('main')!;
    await waitFor(() => d.status().turnRetries >= 2, 30_000, 'two retries of the turn');
    const retrying = d.status();
    expect(retrying).toMatchObject({ status: 'retrying', lastError: expect.stringContaining('upstream is down') });
    expect(retrying.runningTurnAgeMs).toEqual(expect.any(Number));
    expect(statusLineText(retrying)).toMatch(
      /^\*\*main\*\*: retrying · turn running for \d+ s \(codex retried \d+×\) · 0 waiting .* · last error: .*upstream is down/,
    );
    // Once the turn is stopped, the dispatcher is ready again with no retries and no stale error.
    await s.post('general', 'stop');
    await waitFor(() => d.status().runningTurnAgeMs === null, 30_000, 'the stopped turn to end');
    expect(d.status()).toMatchObject({ status: 'ready', turnRetries: 0, lastError: null });
  });

  it('keeps accepted messages across a service restart and injects a restart notice', async () => {
    env.model.setScript(() => ({ kind: 'hang' }));
    const first = await start();
    await first.post('general', 'warm up the thread');
    const d = first.service.dispatchers.get('main')!;
    await waitFor(() => d.status().runningTurnAgeMs !== null, 10_000, 'running turn');
    // A thread resumes only once codex wrote its rollout; without one the thread starts fresh and
    // there is nothing to notice (test/integration/runtime.test.ts covers that case).
    await pollUntil(async () => ((await rolloutHolds(env.codexHome, 'warm up the thread')) ? true : undefined), 'the rollout to hold the first turn', 30_000);
    await first.post('general', 'queued before restart');
    await stop(first);
    env.model.setScript(echoScript().script);
    const before = env.model.requests.length;
    const second = await start();
    const replies = await second.waitForReplies('general', 2);
    expect(replies.map((r) => r.text)).toEqual(['echo: warm up the thread', 'echo: queued before restart']);
    const after = env.model.requests.slice(before);
    expect(after[0]?.allText).toContain('[Switchboard notice] The Switchboard service restarted');
  });

  it('skips the restart notice when a live message arrives before the runtime is ready', async () => {
    const first = await start();
    await first.post('general', 'build some history');
    await first.waitForReplies('general', 1);
    await stop(first);
    // A real codex that starts 1 s late, so the live message surely lands first.
    const slow = path.join(env.stateDir, 'slow-codex.sh');
    await writeFile(slow, `#!/bin/sh\nsleep 1\nexec "${env.codexBin}" "$@"\n`);
    await chmod(slow, 0o755);
    const port = await freePort();
    const before = env.model.requests.length;
    const starting = startTestService(env, { bin: slow, port });
    let accepted = 0;
    for (let i = 0; i < 200 && accepted === 0; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/api/conversations/general/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'live during start' }),
      }).catch(() => null);
      if (res?.status === 202) accepted++;
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(accepted).toBe(1);
    const second = await starting;
    running.push(second);
    expect(second.service.store.getDispatcher('main')?.status).toBe('ready');
    const replies = await second.waitForReplies('general', 2);
    expect(replies[1]?.text).toBe('echo: live during start');
    const after = env.model.requests.slice(before);
    expect(after.some((r) => r.allText.includes('[Switchboard notice]'))).toBe(false);
  });

  it('warns visibly in the first reply after the thread could not be resumed', async () => {
    const first = await start();
    await first.post('general', 'build some history');
    await first.waitForReplies('general', 1);
    const lost = first.service.status().dispatchers[0]?.threadId;
    await stop(first);
    await rm(path.join(env.codexHome, 'sessions'), { recursive: true, force: true });
    const second = await start();
    await second.post('general', 'still there?');
    await second.post('general', 'and now?');
    const replies = await second.waitForReplies('general', 3);
    expect(replies[1]?.text).toContain('Conversation history was lost');
    expect(replies[1]?.text).toContain(String(lost));
    expect(replies[1]?.text).toMatch(/echo: still there\?$/);
    expect(replies[2]?.text).toBe('echo: and now?');
  });

  it('answers the status and stop commands in the chat without starting turns; a stopped turn gets one mark', async () => {
    const s = await start();
    await s.post('general', 'hang until stopped');
    const d = s.service.dispatchers.get('main')!;
    await waitFor(() => d.status().runningTurnAgeMs !== null, 10_000, 'running turn');
    const status = await s.post('general', 'status');
    expect(status).toMatchObject({ status: 200, body: { command: 'status' } });
    const stop = await s.post('general', '/stop');
    expect(stop).toMatchObject({ status: 200, body: { command: 'stop' } });
    await s.post('general', 'after stop');
    const replies = await s.waitForReplies('general', 3);
    expect(replies[0]?.text).toMatch(/^\*\*main\*\*: ready · turn running for \d+ s · 0 waiting · 0 restarts/);
    // One mark for the stopped turn: `stop` in the same conversation posts no second message.
    expect(replies[1]?.text).toBe(stoppedText('web-user'));
    expect(replies[2]).toMatchObject({ role: 'assistant', text: 'echo: after stop' });
    // Commands never reach the model (the stopped turn may end before its model request is sent).
    const asked = env.model.requests.map((r) => stripHeader(r.lastUserText));
    expect(asked.at(-1)).toBe('after stop');
    expect(asked.filter((t) => t === 'status' || t === '/stop')).toEqual([]);
  });

  it('without Codex credentials: status needs_login with the fix, and a message is answered at once without a turn', async () => {
    // A provider that needs OpenAI auth, no auth.json, no API key, and an endpoint on a closed port.
    const closed = await freePort();
    await writeFile(
      path.join(env.codexHome, 'config.toml'),
      `model = "gpt-5"\nmodel_provider = "needs-auth"\n[model_providers.needs-auth]\nname = "needs-auth"\n` +
        `base_url = "http://127.0.0.1:${closed}/v1"\nwire_api = "responses"\nrequires_openai_auth = true\n`,
    );
    const saved = { OPENAI_API_KEY: process.env.OPENAI_API_KEY, CODEX_API_KEY: process.env.CODEX_API_KEY };
    delete process.env.OPENAI_API_KEY;
    delete process.env.CODEX_API_KEY;
    try {
      const s = await start();
      const d = s.service.dispatchers.get('main')!.status();
      expect(d.status).toBe('needs_login');
      expect(d.lastError).toContain('npx codex login');
      expect(d.lastError).toContain('OPENAI_API_KEY');
      expect(d.lastError).toContain('npm run demo');
      await s.post('general', 'hello?');
      const [reply] = await s.waitForReplies('general', 1);
      expect(reply?.text).toContain('Codex has no credentials');
      expect(reply?.text).toContain('npx codex login');
      expect(env.model.requests).toHaveLength(0);
      await waitFor(() => s.service.status().dispatchers[0]?.queueDepth === 0, 10_000, 'the message to settle');
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    }
  });

  it('ignores conversations no binding names (unrouted, no turn)', async () => {
    const s = await start({ conversation: 'general' });
    const res = await s.post('elsewhere', 'anyone?');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('unrouted');
    expect((await s.post('general', 'bound')).status).toBe(202);
    await s.waitForReplies('general', 1);
    expect(env.model.requests.some((r) => r.lastUserText.includes('anyone?'))).toBe(false);
  });
});
