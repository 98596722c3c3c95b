/**
 * The web chat page in a real headless Chromium (the Debian package, driven by
 * playwright-core): type a message, send it, see the scripted reply.
 *
 * Chromium is required: CI installs it (.ci/run). Without it this file fails.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../src/demo/run-demo.js';
import { silentLogger } from '../../src/log.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/switchboard-page.png';
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

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
