/**
 * Live answers on the web chat page in a real headless Chromium (the Debian package, driven by
 * playwright-core), at a phone's width (390 px): just the real web channel with the real state
 * store, and the test as the dispatcher, calling `live.open/update/finish` with growing text (a
 * table, a link, a code block). The bubble grows in place (the same DOM node), its activity and
 * plan show, Stop reaches the ActionHandler and the page shows its answer, the final message takes
 * the bubble's place, and nothing overflows the 390 px viewport. A prompt's button posts its action.
 * Screenshots land in /tmp/switchboard-screenshots/ (test artifacts).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionEvent, LiveElement, LiveView } from '../../src/channels/live.js';
import type { InboundMessage, ReplyAddress } from '../../src/channels/types.js';
import { createWebChannel, type WebChannel } from '../../src/channels/web/index.js';
import { outboundMessageId } from '../../src/channels/web/format/outbound.js';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/types.js';
import { waitFor } from '../support/fake-clock.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = '/tmp/switchboard-screenshots';
const WIDTH = 390;
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const LONG_LINE = `const wide = ${JSON.stringify('x'.repeat(180))}; // a line far wider than a phone`;
const STEPS = [
  'Let me look',
  'Let me look at the channels.\n\n| Channel | Streams |\n| --- | --- |\n| web | SSE |\n| slack | chat.appendStream |\n',
  'Let me look at the channels.\n\n| Channel | Streams |\n| --- | --- |\n| web | SSE |\n| slack | chat.appendStream |\n\n' +
    'See [the docs](https://example.com/docs) and:\n\n```ts\n' +
    LONG_LINE +
    '\nrun(turn);\n```\n',
];

describe('web chat live answers in headless Chromium at 390 px', () => {
  let store: StateStore;
  let channel: WebChannel;
  let context: BrowserContext | undefined;
  let page: Page;
  const inbound: InboundMessage[] = [];
  const presses: ActionEvent[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    const dir = makeTempDir('sb-e2e-live-');
    store = await openStateStore(path.join(dir, 'state'));
    channel = createWebChannel(
      { id: 'web', type: 'web', listen: '127.0.0.1:0', maxTextBytes: 64 * 1024, historyLimit: 100 },
      { store, logger: silentLogger(), clock: systemClock },
    );
    await channel.start(
      async (m) => {
        inbound.push(m);
        return { status: 'accepted', position: 1 };
      },
      async (press) => {
        presses.push(press);
        return { status: 'done', text: 'Stopping this turn.' };
      },
    );
    context = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: WIDTH, height: 800 },
      permissions: ['clipboard-read', 'clipboard-write'],
      timeout: 30_000,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await channel?.stop().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await cleanupTempDirs();
  });

  /** Sends `text` from the page; resolves with the address of that message, as the dispatcher gets it. */
  async function ask(text: string): Promise<ReplyAddress> {
    const before = inbound.length;
    await page.fill('#message-input', text);
    await page.click('#send-button');
    await waitFor(() => inbound.length > before, 10_000, 'the message to reach the handler');
    const m = inbound[inbound.length - 1]!;
    return { channelId: m.channelId, conversation: m.conversation, messageId: m.messageId };
  }

  const view = (text: string, patch: Partial<LiveView> = {}): LiveView => ({ text, textSeq: 1, activity: null, plan: [], ...patch });
  const bubble = () => page.locator('[data-live="running"]');
  // Page-side expressions are strings: this project's TypeScript has no DOM library.
  /** Remembers the running bubble's element as window.__bubble. */
  const rememberBubble = () => page.evaluate('window.__bubble = document.querySelector(\'[data-live="running"]\'), true');
  /** True while the element remembered as window.__bubble is the one showing `selector`. */
  const sameNode = async (selector: string) => (await page.evaluate(`window.__bubble === document.querySelector(${JSON.stringify(selector)})`)) as boolean;
  const noHorizontalOverflow = async () => (await page.evaluate('document.documentElement.scrollWidth')) as number;

  it('shows what to do in an empty conversation, and the conversations behind a toggle', async () => {
    await page.goto(channel.url, { waitUntil: 'load' });
    await page.locator('#connection-status', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('#empty-state').isVisible()).toBe(true);
    expect(await page.locator('#empty-state').textContent()).toContain('Send a message');
    expect(await page.locator('#conversation-list').isVisible()).toBe(false);
    await page.click('#sidebar-toggle');
    expect(await page.locator('#conversation-list').isVisible()).toBe(true);
    await page.click('#sidebar-toggle');
    expect(await noHorizontalOverflow()).toBeLessThanOrEqual(WIDTH);
  });

  it('a bubble grows in place with activity, plan and Markdown; Stop reaches the handler; the stop notice replaces it', async () => {
    const question = 'Which channels stream their answers, and how? Please explain in a short table with links.';
    const to = await ask(question);
    expect(await page.locator('#empty-state').isVisible()).toBe(false);
    const element: LiveElement = (await channel.live.open(to, { key: 'turn-1', stopActionId: 'stop-turn-1', recipientUserId: 'web-user' }))!;
    await bubble().waitFor({ timeout: 10_000 });
    await rememberBubble();
    expect(await bubble().locator('.reply-to').textContent()).toBe(`↪ ${question.slice(0, 59)}…`);

    const plan = [
      { step: 'read the adapters', status: 'completed' as const },
      { step: 'write the table', status: 'inProgress' as const },
      { step: 'link the docs', status: 'pending' as const },
    ];
    await element.update(view(STEPS[0]!, { activity: 'running `npm test`', plan }));
    await bubble().locator('.live-status', { hasText: 'running npm test' }).waitFor({ timeout: 5_000 });
    expect(await bubble().locator('.live-status code').textContent()).toBe('npm test');
    expect(await bubble().locator('.plan li').allTextContents()).toEqual(['✓read the adapters', '▸write the table', '○link the docs']);
    expect(
      await bubble()
        .locator('.plan li')
        .evaluateAll((l) => l.map((e) => e.getAttribute('data-state'))),
    ).toEqual(['completed', 'inProgress', 'pending']);

    await element.update(view(STEPS[1]!, { plan }));
    await bubble().locator('.md table tbody tr').nth(1).waitFor({ timeout: 5_000 });
    expect(await sameNode('[data-live="running"]')).toBe(true);
    expect(await bubble().locator('.live-status').textContent()).toBe('writing…');

    await element.update(view(STEPS[2]!, { plan }));
    await bubble().locator('.md pre code').waitFor({ timeout: 5_000 });
    expect(await sameNode('[data-live="running"]')).toBe(true);
    expect(await page.locator('[data-role="assistant"]').count()).toBe(1);
    expect(await bubble().locator('.md table th').allTextContents()).toEqual(['Channel', 'Streams']);
    const link = bubble().locator('.md a[href="https://example.com/docs"]');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await bubble().locator('.code-lang').textContent()).toBe('ts');
    expect(await bubble().locator('.md pre').getAttribute('data-lang')).toBe('ts');
    expect(await bubble().textContent()).not.toContain('| --- |');
    // The wide code line scrolls inside its block: the page itself does not.
    const pre = await bubble()
      .locator('.md pre')
      .evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
    expect(pre.scroll).toBeGreaterThan(pre.client);
    expect(await noHorizontalOverflow()).toBeLessThanOrEqual(WIDTH);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'live-bubble-390.png'), fullPage: true });

    await bubble().locator('.stop').click();
    await waitFor(() => presses.length === 1, 10_000, 'the Stop press to reach the handler');
    expect(presses[0]).toEqual({ channelId: 'web', actionId: 'stop-turn-1', user: { id: 'web-user' }, conversation: 'general' });
    await page.locator('#toast', { hasText: 'Stopping this turn.' }).waitFor({ timeout: 5_000 });

    const res = await element.finish({ outcome: 'interrupted', message: { kind: 'error', text: '⏹️ The turn was stopped.', idempotencyKey: 'turn-1' } });
    expect(res).toEqual({ status: 'sent', messageIds: [outboundMessageId('turn-1')] });
    const final = page.locator(`[data-id="${outboundMessageId('turn-1')}"]`);
    await final.locator('.body', { hasText: 'The turn was stopped' }).waitFor({ timeout: 5_000 });
    expect(await sameNode(`[data-id="${outboundMessageId('turn-1')}"]`)).toBe(true);
    expect(await final.getAttribute('data-role')).toBe('system');
    expect(await page.locator('[data-live]').count()).toBe(0);
    expect(await page.locator('.stop').count()).toBe(0);
    const asked = page.locator(`[data-id="${to.messageId}"]`);
    expect(await asked.locator('.outcome').textContent()).toBe('stopped');
    expect(pageErrors).toEqual([]);
  });

  it('a completed answer replaces its bubble in place, keeps its Markdown and links back to its question', async () => {
    const to = await ask('and now the whole answer');
    const element = (await channel.live.open(to, { key: 'turn-2', stopActionId: 'stop-turn-2', recipientUserId: 'web-user' }))!;
    await bubble().waitFor({ timeout: 10_000 });
    await rememberBubble();
    for (const step of STEPS) await element.update(view(step));
    await bubble().locator('.md pre code').waitFor({ timeout: 5_000 });

    const id = outboundMessageId('turn-2');
    expect((await element.finish({ outcome: 'completed', message: { kind: 'answer', text: STEPS[2]!, idempotencyKey: 'turn-2' } })).status).toBe('sent');
    const final = page.locator(`[data-id="${id}"]`);
    await final.locator('.md pre code').waitFor({ timeout: 5_000 });
    expect(await sameNode(`[data-id="${id}"]`)).toBe(true);
    expect(await page.locator('[data-live]').count()).toBe(0);
    expect(await final.locator('.md table tbody tr').count()).toBe(2);
    expect(await final.locator('.md pre code').textContent()).toContain('run(turn);');
    expect(await page.locator(`[data-id="${to.messageId}"] .outcome`).count()).toBe(0);
    // The last item of the list is the answer, right where the bubble was.
    expect(await page.locator('#messages > li').last().getAttribute('data-id')).toBe(id);

    await final.locator('.copy').click();
    await final.locator('.copy', { hasText: /Copied|Copy failed/ }).waitFor({ timeout: 5_000 });
    if ((await final.locator('.copy').textContent()) === 'Copied') {
      expect(await page.evaluate('navigator.clipboard.readText()')).toContain('run(turn);');
    }

    await final.locator('.reply-to').click();
    await page.locator(`[data-id="${to.messageId}"].flash`).waitFor({ timeout: 5_000 });

    // A reload shows the same conversation from the history.
    await page.reload({ waitUntil: 'load' });
    await page.locator(`[data-id="${id}"] .md table`).waitFor({ timeout: 10_000 });
    expect(await page.locator(`[data-id="${id}"] .reply-to`).textContent()).toBe('↪ and now the whole answer');
    expect(await noHorizontalOverflow()).toBeLessThanOrEqual(WIDTH);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'live-final-390.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('a page loaded mid-turn shows the open bubble at once', async () => {
    const to = await ask('one more');
    const element = (await channel.live.open(to, { key: 'turn-3', stopActionId: 'stop-turn-3', recipientUserId: 'web-user' }))!;
    await element.update(view('half **way**', { activity: 'thinking' }));
    await bubble().locator('.md strong').waitFor({ timeout: 5_000 });
    await page.reload({ waitUntil: 'load' });
    await bubble().locator('.md strong', { hasText: 'way' }).waitFor({ timeout: 10_000 });
    expect(await bubble().locator('.live-status').textContent()).toBe('thinking');
    await element.finish({ outcome: 'completed', message: { kind: 'answer', text: 'all the way', idempotencyKey: 'turn-3' } });
    await page.locator(`[data-id="${outboundMessageId('turn-3')}"]`, { hasText: 'all the way' }).waitFor({ timeout: 5_000 });
    expect(await page.locator('[data-live]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('a prompt shows its buttons; a press posts its action; the update removes them in place', async () => {
    const to = await ask('may I?');
    const posted = await channel.prompts.post(to, {
      title: 'Approval needed: run a command',
      body: '```sh\nnpm test\n```',
      buttons: [
        { actionId: 'act-approve', label: 'Approve', style: 'primary' },
        { actionId: 'act-decline', label: 'Decline', style: 'danger' },
      ],
      status: null,
    });
    expect(posted.status).toBe('sent');
    const approve = page.locator('.prompt-button.primary', { hasText: 'Approve' });
    await approve.waitFor({ timeout: 10_000 });
    expect(await page.locator('.prompt-title').textContent()).toBe('Approval needed: run a command');
    expect(await page.locator('.msg.prompt .md pre code').textContent()).toContain('npm test');
    const before = presses.length;
    await approve.click();
    await waitFor(() => presses.length > before, 10_000, 'the prompt press to reach the handler');
    expect(presses[presses.length - 1]?.actionId).toBe('act-approve');
    const ref = posted.status === 'sent' ? posted.ref : '';
    await channel.prompts.update(to, ref, { title: 'Approval needed: run a command', body: '```sh\nnpm test\n```', buttons: [], status: '✅ Approved' });
    await page.locator(`[data-id="${ref}"] .prompt-status`, { hasText: 'Approved' }).waitFor({ timeout: 5_000 });
    expect(await page.locator('.prompt-button').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
