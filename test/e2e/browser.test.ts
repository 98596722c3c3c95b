/**
 * The web chat page in a real headless Chromium (the Debian package, driven by
 * playwright-core): type a message, send it, see the scripted reply; then the demo
 * repertoire as a newcomer tries it (rendered Markdown, a command, stop, a failure).
 * Screenshots land in /tmp/switchboard-screenshots/ (test artifacts).
 *
 * Chromium is required: CI installs it (.ci/run). Without it this file fails.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../src/demo/run-demo.js';
import { silentLogger } from '../../src/log.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = '/tmp/switchboard-screenshots';
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

describe('web chat in headless Chromium', () => {
  let demo: Demo | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  /** Console errors and uncaught exceptions of the page (CSP violations show up here too). */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: the browser e2e test needs it. ` +
          'Install it with `apt-get update && apt-get install -y --no-install-recommends chromium` (CI does this in .ci/run).',
      );
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    const stateDir = makeTempDir('sb-e2e-browser-');
    demo = await startDemo({ port: 0, host: '127.0.0.1', stateDir: path.join(stateDir, 'state'), logger: silentLogger() });
    // launchPersistentContext passes a fresh profile as --user-data-dir (Playwright refuses it in `args`).
    context = await chromium.launchPersistentContext(path.join(stateDir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1000, height: 640 },
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
    await demo?.stop().catch(() => undefined);
    await cleanupTempDirs();
  });

  it('sends a typed message and shows the scripted reply', async () => {
    await page.goto(demo!.url, { waitUntil: 'load' });
    await page.locator('#connection-status', { hasText: 'live' }).waitFor({ timeout: 10_000 });

    const text = `hello from chromium ${Date.now()}`;
    await page.fill('#message-input', text);
    await page.click('#send-button');

    const user = page.locator('[data-role="user"]', { hasText: text });
    await user.first().waitFor({ timeout: 5_000 });
    const reply = page.locator('[data-role="assistant"]', { hasText: '[scripted demo model]' }).filter({ hasText: text });
    await reply.first().waitFor({ timeout: 15_000 });

    expect(await user.count()).toBe(1);
    expect(await reply.count()).toBe(1);
    expect(await page.inputValue('#message-input')).toBe('');
    // The "queued"/"working…" mark on the user message goes away once the turn is done.
    await expect.poll(() => page.locator('[data-progress]').count(), { timeout: 5_000 }).toBe(0);
    // The header names the asker's session: the demo's one dispatcher thread, now started.
    const threadId = demo!.service.dispatchers.get('main')?.status().threadId;
    expect(threadId).toEqual(expect.any(String));
    const session = page.locator('[data-testid="session-info"]', { hasText: 'your session: this dispatcher' }).filter({ hasText: String(threadId) });
    await session.waitFor({ timeout: 10_000 });
    expect(await session.getAttribute('data-thread')).toBe(threadId);

    await page.screenshot({ path: path.join(SCREENSHOTS, 'first-answer.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  /** Types `text`, sends it, and returns the locator of the reply (assistant or system) that contains `hasText`. */
  async function send(text: string, hasText: string, role: 'assistant' | 'system' = 'assistant') {
    await page.fill('#message-input', text);
    await page.click('#send-button');
    // A live bubble (data-live) is the answer still being written; the settled message has none.
    const reply = page.locator(`[data-role="${role}"]:not([data-live])`, { hasText });
    await reply.first().waitFor({ timeout: 20_000 });
    return reply.first();
  }

  it('renders the demo markdown answer as Markdown: heading, list, table, link, code block', async () => {
    const reply = await send('demo: markdown', 'what a rich answer looks like');
    expect(await reply.locator('.md h2').first().textContent()).toBe('A heading');
    expect(await reply.locator('.md ul > li').count()).toBeGreaterThanOrEqual(2);
    expect(await reply.locator('.md ol > li').count()).toBe(2);
    expect(await reply.locator('.md table th').allTextContents()).toEqual(['Channel', 'Answers in', 'Progress']);
    expect(await reply.locator('.md table tbody tr').count()).toBe(3);
    const link = reply.locator('.md a[href^="https://"]');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await reply.locator('.md pre code').textContent()).toContain('dispatcher.run(turn)');
    expect(await reply.locator('.md strong').first().textContent()).toBe('bold');
    // No Markdown syntax left over as text.
    expect(await reply.textContent()).not.toContain('| --- |');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'markdown.png'), fullPage: true });
  });

  it('streams a slow turn in place with its plan, and its Stop button stops it with one mark', async () => {
    await page.fill('#message-input', 'demo: slow 60s');
    await page.click('#send-button');
    const bubble = page.locator('[data-live="running"]');
    await bubble.locator('.plan li', { hasText: 'Stream the answer' }).waitFor({ timeout: 30_000 });
    await bubble.locator('.body', { hasText: 'second 1 of 60' }).waitFor({ timeout: 30_000 });
    const handle = await bubble.elementHandle();
    await bubble.locator('.body', { hasText: 'second 2 of 60' }).waitFor({ timeout: 30_000 });
    expect(await bubble.evaluate((node, first) => node === first, handle), 'the answer grows in the same element').toBe(true);
    await bubble.locator('button.stop').click();
    const mark = page.locator('[data-role="system"]:not([data-live])', { hasText: 'Stopped by' });
    await mark.waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('[data-live="running"]').count(), { timeout: 20_000 }).toBe(0);
    expect(await page.locator('[data-role="system"]', { hasText: 'Stopp' }).count(), 'one final mark').toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'live-stop.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('shows a command codex ran, a stopped slow turn and a failed turn', async () => {
    const command = await send('demo: run a command', 'with its own shell tool');
    expect(await command.locator('.md pre code').textContent()).toContain('hello from');
    expect(await command.textContent()).toContain('exit code 0');

    // A slow turn shows as working until `stop` interrupts it.
    await page.fill('#message-input', 'demo: slow 60s');
    await page.click('#send-button');
    await page.locator('[data-progress="running"]').waitFor({ timeout: 20_000 });
    // One mark for the stopped turn: `stop` in the same conversation posts no message of its own.
    await send('stop', 'Stopped by', 'system');
    await expect.poll(() => page.locator('[data-role="system"]', { hasText: 'Stopp' }).count(), { timeout: 20_000 }).toBe(2);
    await expect.poll(() => page.locator('[data-progress]').count(), { timeout: 20_000 }).toBe(0);

    const failed = await send('demo: fail', 'could not answer', 'system');
    expect(await failed.textContent()).toContain('fails on purpose');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'command-stop-fail.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});

describe('web chat off loopback in headless Chromium (access token)', () => {
  let demo: Demo | undefined;
  let context: BrowserContext | undefined;

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await demo?.stop().catch(() => undefined);
  });

  it('the page asks for the token, a wrong one is refused, the right one opens the chat; the printed link signs in by itself', async () => {
    const stateDir = makeTempDir('sb-e2e-browser-auth-');
    demo = await startDemo({ port: 0, host: '0.0.0.0', stateDir: path.join(stateDir, 'state'), logger: silentLogger() });
    const token = new URL(demo.openUrl).searchParams.get('token');
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    context = await chromium.launchPersistentContext(path.join(stateDir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));

    await page.goto(demo.url, { waitUntil: 'load' });
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', 'not-the-token-of-this-demo');
    await page.click('button[type="submit"]');
    await page.locator('[data-testid="login-error"]').waitFor({ timeout: 10_000 });
    await page.fill('#token', token!);
    await page.click('button[type="submit"]');
    await page.locator('#connection-status', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await page.fill('#message-input', 'hello behind the token');
    await page.click('#send-button');
    await page.locator('[data-role="assistant"]', { hasText: 'hello behind the token' }).first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'token-sign-in.png'), fullPage: true });

    // A fresh browser profile opens the printed link and lands in the chat, the token gone from the address.
    const other = await chromium.launchPersistentContext(path.join(stateDir, 'chromium-profile-2'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
    try {
      const linkPage = other.pages()[0] ?? (await other.newPage());
      await linkPage.goto(demo.openUrl, { waitUntil: 'load' });
      await linkPage.locator('#connection-status', { hasText: 'live' }).waitFor({ timeout: 10_000 });
      expect(linkPage.url()).not.toContain('token=');
    } finally {
      await other.close();
    }
    expect(errors).toEqual([]);
  });
});
