/**
 * Prompts in the web chat over its real HTTP API: the real web adapter with the real state store
 * in a temp directory, an SSE client as a page would be, `prompts.post/update` called as the
 * service calls them, and a button press through `POST /api/actions` reaching a real ActionHandler.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionEvent, ActionHandler } from '../../src/channels/live.js';
import type { PromptView } from '../../src/channels/prompt.js';
import type { ReplyAddress } from '../../src/channels/types.js';
import type { WebMessageView } from '../../src/channels/web/chat.js';
import { createWebChannel, type WebChannel } from '../../src/channels/web/index.js';
import type { MarkdownNode } from '../../src/channels/web/format/markdown-tree.js';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/types.js';
import { openSseClient, type SseClient } from '../support/sse-client.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

const CONVERSATION = 'prompt-test';
const to: ReplyAddress = { channelId: 'web', conversation: CONVERSATION, messageId: 'q-1' };
const VIEW: PromptView = {
  title: '🔐 Approval needed: run a command',
  body: 'Codex wants to run:\n\n```sh\nrm -rf build\n```\n\nin `/repo`',
  buttons: [
    { actionId: 'act-yes', label: 'Approve', style: 'primary' },
    { actionId: 'act-no', label: 'Decline', style: 'danger' },
  ],
  status: 'Reply in this thread to answer',
};

let dir: string;
let store: StateStore;
let channel: WebChannel;
let page: SseClient;
let presses: ActionEvent[];
const onAction: ActionHandler = async (event) => {
  presses.push(event);
  return { status: 'done', text: `You chose ${event.actionId}.` };
};

beforeEach(async () => {
  dir = makeTempDir('web-prompts-');
  store = await openStateStore(dir);
  channel = createWebChannel(
    { id: 'web', type: 'web', listen: '127.0.0.1:0', maxTextBytes: 64 * 1024, historyLimit: 100 },
    { store, logger: silentLogger(), clock: systemClock },
  );
  presses = [];
  await channel.start(async () => ({ status: 'duplicate' }), onAction);
  page = await openSseClient(`${channel.url}/api/events?conversation=${CONVERSATION}`);
});

afterEach(async () => {
  page.close();
  await channel.stop();
  await store.close();
});

afterAll(cleanupTempDirs);

async function history(): Promise<WebMessageView[]> {
  const res = await fetch(`${channel.url}/api/conversations/${CONVERSATION}/messages`);
  return ((await res.json()) as { messages: WebMessageView[] }).messages;
}

function tags(nodes: MarkdownNode[]): string[] {
  return nodes.flatMap((n) => (typeof n === 'string' ? [] : [n.tag, ...tags(n.children)]));
}

describe('web prompts', () => {
  it('post shows the prompt over SSE and in the history; a press reaches onAction; update removes the buttons', async () => {
    const posted = await channel.prompts.post(to, VIEW);
    expect(posted).toEqual({ status: 'sent', ref: expect.stringMatching(/^prompt-/) });
    const ref = posted.status === 'sent' ? posted.ref : '';

    const first = JSON.parse((await page.waitFor((e) => e.event === 'prompt')).data) as WebMessageView;
    expect(first).toMatchObject({
      id: ref,
      role: 'system',
      text: VIEW.body,
      replyTo: 'q-1',
      prompt: { title: VIEW.title, buttons: VIEW.buttons, status: VIEW.status },
    });
    expect(tags(first.markdown ?? [])).toEqual(expect.arrayContaining(['pre', 'code']));
    expect(first.prompt?.statusMarkdown).toEqual([{ tag: 'p', children: ['Reply in this thread to answer'] }]);
    expect(await history()).toEqual([first]);

    const res = await fetch(`${channel.url}/api/actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ actionId: first.prompt!.buttons[0]!.actionId, conversation: CONVERSATION }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'done', text: 'You chose act-yes.' });
    expect(presses.map((p) => p.actionId)).toEqual(['act-yes']);

    const settled: PromptView = { ...VIEW, buttons: [], status: '✅ Approved by **web-user**' };
    expect(await channel.prompts.update(to, ref, settled)).toBe(true);
    await page.waitFor((e) => e.event === 'prompt' && e.data.includes('Approved'));
    const [, second] = page.data<WebMessageView>('prompt');
    expect(second).toMatchObject({ id: ref, createdAt: first.createdAt, prompt: { buttons: [], status: settled.status } });
    expect(tags(second!.prompt?.statusMarkdown ?? [])).toContain('strong');
    expect(await history()).toEqual([second]);
    expect(store.listWebMessages('web', CONVERSATION)[0]?.prompt).toEqual({ title: VIEW.title, buttons: [], status: settled.status });

    // The history survives a restart with the prompt as it was last updated.
    await channel.stop();
    await store.close();
    store = await openStateStore(dir);
    expect(store.listWebMessages('web', CONVERSATION)[0]?.prompt?.buttons).toEqual([]);
  });

  it('update of an unknown ref is false; post to another channel or a failing store is failed', async () => {
    expect(await channel.prompts.update(to, 'prompt-nope', VIEW)).toBe(false);
    expect(await channel.prompts.update(to, 'out-123', VIEW)).toBe(false);
    expect(await channel.prompts.post({ ...to, channelId: 'elsewhere' }, VIEW)).toMatchObject({ status: 'failed' });
    store.appendWebMessage = () => Promise.reject(new Error('EIO: disk gone'));
    expect(await channel.prompts.post(to, VIEW)).toEqual({ status: 'failed', error: expect.stringContaining('EIO') });
  });
});
