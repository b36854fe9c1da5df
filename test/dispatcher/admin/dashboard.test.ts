/**
 * /dashboard in a real browser (Debian's chromium driven by playwright-core): the page
 * lists the live workers with an "active" badge and turns a killed worker's badge to
 * "down" by itself. Skipped, not failed, where chromium is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startDispatcher } from '../../../src/dispatcher/app.js';
import { call } from '../../helpers/http.js';
import { startWorker } from '../../helpers/processes.js';
import { testDispatcherConfig, waitFor } from '../helpers/app-worker.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = '/tmp/dashboard.png';

test('the dashboard shows live workers and a killed one going down', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is missing (scripts/install-test-deps.sh installs it)`);
    return;
  }
  const w1 = await startWorker(['--threads', '1'], { context: t });
  const w2 = await startWorker(['--threads', '1'], { context: t });
  const d = await startDispatcher(testDispatcherConfig(['--upstreams', `${w1.url},${w2.url}`]), { jobs: null });
  t.after(() => d.close());
  await waitFor('workers active', () => (d.upstreams.available().length === 2 ? true : undefined), 10_000);
  // Some traffic, so the numbers and sparklines have something to show.
  for (let i = 0; i < 40; i++) await call(`${d.url}/fibonacci?num=${i * 10}`);
  await call(`${d.url}/no-such-page`);

  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));

    const res = await page.goto(`${d.url}/dashboard`);
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()['content-type'] ?? '', /^text\/html/);

    const badge = (id: string) => page.locator(`#workers tr[data-id="${id}"] .badge`);
    for (const id of ['w1', 'w2']) {
      await badge(id).filter({ hasText: 'active' }).waitFor({ timeout: 5000 });
      assert.equal(await page.locator(`#workers tr[data-id="${id}"] td.id`).textContent(), id);
    }
    assert.equal(await page.locator('#w-active').textContent(), '2');

    // Let a few polls build the sparklines before the picture.
    await page.locator('#spark-rps polyline').waitFor({ state: 'attached', timeout: 5000 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    const killedAt = performance.now();
    await w1.stop('SIGKILL');
    await badge('w1').filter({ hasText: 'down' }).waitFor({ timeout: 5000 });
    t.diagnostic(`the dashboard showed w1 down ${Math.round(performance.now() - killedAt)} ms after SIGKILL`);
    assert.match((await badge('w1').getAttribute('class')) ?? '', /\bdown\b/);
    assert.equal(await badge('w2').textContent(), 'active');
    assert.equal(await page.locator('#w-active').textContent(), '1');
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser?.close();
  }
});
