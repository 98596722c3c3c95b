/**
 * Feishu images/files end to end (issue 14 §6): the REAL service and a REAL codex app-server with a
 * scripted model behind the Feishu adapter (real SDK) and the fake Feishu platform. The event is
 * acknowledged as soon as the message is persisted; the download runs afterwards (held by the fake
 * until the test releases it) and the turn waits for it; a failed download is said in the turn text
 * and the turn still runs; a download still pending when the service stops is fetched after the
 * restart.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScriptFn } from '../../src/demo/scripted-model.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { waitFor } from '../support/fake-clock.js';
import { newChatId, newOpenId, startFakeFeishu, type FakeFeishu, type ResourceHold } from '../support/fake-feishu/index.js';
import { startFeishuTestService, type FeishuTestService, type FeishuTestServiceOptions } from '../support/feishu-service.js';
import { stripHeader } from '../support/service.js';

const echoScript: ScriptFn = async (req) => ({ kind: 'reply', text: `echo: ${stripHeader(req.lastUserText)}` });

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

let env: CodexTestEnv;
let fake: FakeFeishu;
const running: FeishuTestService[] = [];

beforeEach(async () => {
  env = await codexTestEnv(echoScript);
  fake = await startFakeFeishu();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await fake.close();
  await env.cleanup();
});

async function start(opts: FeishuTestServiceOptions = {}): Promise<FeishuTestService> {
  const s = await startFeishuTestService(env, fake, opts);
  running.push(s);
  return s;
}

/** A p2p image message whose resource the fake serves (`png`). */
function imageMessage(key: string) {
  const event = fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), image: { imageKey: key } });
  const messageId = event.event.message.message_id as string;
  fake.addResource(messageId, key, PNG, 'image/png', { type: 'image' });
  return { event, messageId };
}

/** Model requests that mention `needle`. */
const asked = (needle: string): number => env.model.requests.filter((r) => r.lastUserText.includes(needle)).length;

for (const mode of ['websocket', 'webhook'] as const) {
  describe(`Feishu attachments → real service → real codex (${mode})`, () => {
    it('the event is acknowledged (200) while the download is still held; once released the turn runs with the file', async () => {
      const s = await start({ mode });
      const { event, messageId } = imageMessage('img_v3_held');
      const hold = fake.holdResource(messageId, 'img_v3_held');
      // Resolves only on a 200 (webhook answer / long-connection ack), with the download still hanging.
      await s.deliver(event);
      await hold.requested;
      expect(fake.callsTo('im.messageResource.get')).toHaveLength(0);
      expect(asked('img_v3_held')).toBe(0);
      expect(s.repliesTo(messageId)).toEqual([]);
      const queued = s.service.store.listQueue('main');
      expect(queued).toHaveLength(1);
      expect(queued[0]).toMatchObject({ kind: 'message', attachments: [{ kind: 'image', key: 'img_v3_held' }] });

      hold.release();
      const file = path.join(s.channel.filesDir, messageId, 'img_v3_held.png');
      const [answer] = await s.waitForAnswers(messageId, 1);
      expect(answer!.markdown).toBe(`echo: [image: ${file}]`);
      expect((await stat(file)).size).toBe(PNG.length);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(asked('img_v3_held')).toBe(1);
    });
  });
}

describe('Feishu attachments → real service → real codex (websocket): failures and restarts', () => {
  it('a download the platform fails (HTTP 500) is said in the turn text, and the user still gets an answer', async () => {
    const s = await start();
    const { event, messageId } = imageMessage('img_v3_broken');
    // Every attempt of the download fails (it is retried as a transient error).
    fake.failNext('im.messageResource.get', { httpStatus: 500, msg: 'resource store down', times: 10 });
    await s.deliver(event);
    const [answer] = await s.waitForAnswers(messageId, 1);
    expect(answer!.markdown).toMatch(/^echo: \[image could not be downloaded: .*\]$/);
    expect(fake.callsTo('im.messageResource.get').length).toBeGreaterThan(0);
    expect(fake.callsTo('im.messageResource.get').every((c) => c.status === 500)).toBe(true);
  });

  it('a download that outlasts files.downloadTimeoutMs is named as not downloaded; the turn runs without waiting longer', async () => {
    const s = await start({ files: { downloadTimeoutMs: 500 } });
    const { event, messageId } = imageMessage('img_v3_stuck');
    fake.holdResource(messageId, 'img_v3_stuck');
    await s.deliver(event);
    const [answer] = await s.waitForAnswers(messageId, 1);
    expect(answer!.markdown).toBe('echo: [image could not be downloaded: timed out after 0.5 s]');
  });

  it('a message whose download was pending when the service stopped is fetched after the restart and answered once', async () => {
    const first = await start();
    const { event, messageId } = imageMessage('img_v3_restart');
    const hold = fake.holdResource(messageId, 'img_v3_restart');
    await first.deliver(event);
    await hold.requested;
    await first.stop();
    running.splice(running.indexOf(first), 1);
    // The accepted entry kept its attachment keys in the state file.
    const second = await start();
    expect(second.service.store.listQueue('main')[0]).toMatchObject({ attachments: [{ kind: 'image', key: 'img_v3_restart' }] });
    // The restarted service asks for the resource again (the hold counts every request).
    await waitForRequests(hold, 2);
    hold.release();
    const [answer] = await second.waitForAnswers(messageId, 1);
    expect(answer!.markdown).toBe(`echo: [image: ${path.join(second.channel.filesDir, messageId, 'img_v3_restart.png')}]`);
    await second.service.dispatchers.get('main')!.whenIdle();
    expect(asked('img_v3_restart')).toBe(1);
    expect(second.repliesTo(messageId)).toHaveLength(1);
  });
});

function waitForRequests(hold: ResourceHold, n: number): Promise<void> {
  return waitFor(() => hold.requests >= n, 20_000, `${n} requests for the held resource`);
}
