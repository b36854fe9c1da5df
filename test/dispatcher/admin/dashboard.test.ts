/**
 * Acceptance 2 (issue 20): /dashboard in a real browser (Debian's chromium driven by
 * playwright-core) against `dhttp start --workers 3` after a short light load, a finished
 * job and a killed worker: after a reload the charts have axes and are filled from the
 * server's history at once, the job is listed with its result, and the killed worker shows
 * its restart and downtime. Screenshots (wide and phone width) go to test/artifacts/. A
 * second test renders 20 workers and sees one go down. Skipped, not failed, where
 * chromium is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ClusterProcess, waitGone } from '../../../bench/cluster-process.js';
import { waitActive } from '../../../bench/zero-loss.js';
import { startDispatcher } from '../../../src/dispatcher/app.js';
import { projectRoot } from '../../helpers/paths.js';
import { startMiniWorker, testDispatcherConfig, waitFor } from '../helpers/app-worker.js';

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
const ARTIFACTS = join(projectRoot(), 'test', 'artifacts');

/** A few connections in a closed loop for `ms` (bounded: it stops by itself). */
async function lightLoad(url: string, connections: number, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let n = 0;
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      for (let i = 0; performance.now() < until; i++) {
        const res = await fetch(`${url}/fibonacci?num=${(c * 97 + i) % 500}`);
        await res.arrayBuffer();
        n++;
      }
    }),
  );
  return n;
}

async function withBrowser(fn: (browser: Browser) => Promise<void>): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
  try {
    await fn(browser);
  } finally {
    await browser.close();
  }
}

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return errors;
}

test('dashboard over dhttp start --workers 3: history after a reload, a finished job, a restarted worker', {
  timeout: 180_000,
}, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is missing (scripts/install-test-deps.sh installs it)`);
    return;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const cluster = await ClusterProcess.start(3, { args: ['--restart-backoff', '300ms', '--threads', '1', '--health-timeout', '5s'] });
  t.after(async () => {
    cluster.kill('SIGKILL');
    await waitGone(cluster.allPids, 5000);
  });
  await waitActive(cluster.url, 3);
  const served = await lightLoad(cluster.url, 4, 3000);
  const job = (await (await fetch(`${cluster.url}/montecarlo?points=3000000&seed=42`)).json()) as { pi: number };
  const w2 = cluster.pids.get('w2') as number;
  process.kill(w2, 'SIGKILL');
  await cluster.waitFor((l) => l.msg === 'worker restarted' && l.id === 'w2', 20_000);
  await waitActive(cluster.url, 3);
  await lightLoad(cluster.url, 2, 1500);
  t.diagnostic(`load: ${served} requests; job pi=${job.pi}; w2 (pid ${w2}) killed and restarted`);

  await withBrowser(async (browser) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    const res = await page.goto(`${cluster.url}/dashboard`);
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()['content-type'] ?? '', /^text\/html/);
    await page.locator('#workers tr[data-id="w3"]').waitFor({ timeout: 10_000 });

    // A reload: the charts come back filled at the first poll, from the server's history.
    const reloadedAt = performance.now();
    await page.reload();
    await page.waitForFunction("Number(document.getElementById('chart-rps')?.dataset.points ?? 0) > 0", null, { timeout: 5000 });
    const openMs = performance.now() - reloadedAt;
    const points = Number(await page.locator('#chart-rps').getAttribute('data-points'));
    t.diagnostic(`after the reload: ${points} points of req/s within ${Math.round(openMs)} ms`);
    // The history holds a point per second since the cluster started (7 in a fast CI run);
    // the page alone could have polled about once per second since the reload.
    assert.ok(
      points >= 5 && points > openMs / 1000 + 3,
      `${points} points in ${Math.round(openMs)} ms: more than the page could have polled itself`,
    );
    for (const id of ['chart-rps', 'chart-lat', 'chart-err', 'chart-workers']) {
      const chart = page.locator(`#${id}`);
      const labels = await chart.locator('text').allTextContents();
      assert.ok(labels.filter((l) => /^\d\d:\d\d(:\d\d)?$/.test(l)).length >= 3, `${id}: time axis labels ${labels.join(' ')}`);
      assert.ok(labels.some((l) => /^0$/.test(l)) && labels.length >= 6, `${id}: value axis labels ${labels.join(' ')}`);
      assert.ok((await chart.locator('path').count()) >= 1, `${id} has a line`);
    }
    assert.equal(await page.locator('#chart-lat path').count(), 2, 'p50 and p99');
    assert.equal(await page.locator('#chart-workers path').count(), 3, 'one line per worker');

    // The finished job, with its result.
    const row = page.locator('#finished tr', { hasText: 'montecarlo' }).first();
    await row.waitFor({ timeout: 5000 });
    assert.match((await row.textContent()) ?? '', /done/);
    assert.equal(await row.locator('td.result').textContent(), `π ≈ ${job.pi.toFixed(6)} (3M points)`);

    // The killed worker: one restart, some downtime, active again.
    const w2Row = page.locator('#workers tr[data-id="w2"]');
    assert.equal(await w2Row.locator('td.restarts').textContent(), '1');
    assert.match((await w2Row.locator('td.down').textContent()) ?? '', /^\d+(\.\d)? s$/);
    assert.notEqual(await w2Row.locator('td.down').textContent(), '0.0 s');
    assert.equal(await w2Row.locator('.badge').textContent(), 'active');
    assert.equal(await page.locator('#workers tr[data-id="w1"] td.restarts').textContent(), '0');
    assert.equal(await page.locator('#w-active').textContent(), '3');
    assert.match((await page.locator('#workers tr[data-id="w1"] td.cpu').textContent()) ?? '', /^\d+ %$/);
    assert.match((await page.locator('#workers tr[data-id="w1"] td.mem').textContent()) ?? '', /^\d+ MB/);
    // Hovering a chart reads out the nearest second.
    const box = await page.locator('#chart-rps').boundingBox();
    assert.ok(box !== null);
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    assert.match((await page.locator('#tip').textContent()) ?? '', /^\d\d:\d\d:\d\d\nreq\/s: /);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // Phone width: nothing wider than the screen but the tables, which scroll in their box.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(1200);
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than a phone`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});

test('dashboard with 20 workers: one row and one line each, a stopped one turns down', { timeout: 120_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is missing (scripts/install-test-deps.sh installs it)`);
    return;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const workers = await Promise.all(Array.from({ length: 20 }, (_, i) => startMiniWorker(`M${i + 1}`)));
  const d = await startDispatcher(testDispatcherConfig(['--upstreams', workers.map((w) => w.url).join(',')]), { jobs: null });
  t.after(async () => {
    await d.close();
    await Promise.all(workers.map((w) => w.close()));
  });
  await waitFor('20 active', () => (d.upstreams.available().length === 20 ? true : undefined), 10_000);
  for (let i = 0; i < 200; i++) await (await fetch(`${d.url}/whoami`)).arrayBuffer();

  await withBrowser(async (browser) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(`${d.url}/dashboard`);
    await page.locator('#workers tr[data-id="w20"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#workers tr').count(), 20);
    assert.deepEqual((await page.locator('#workers td.id').allTextContents()).slice(0, 3), ['w1', 'w2', 'w3'], 'numeric order');
    await page.waitForFunction("document.querySelectorAll('#chart-workers path').length === 20", null, { timeout: 5000 });
    const height = await page.locator('#workers tr[data-id="w7"]').evaluate((tr) => tr.getBoundingClientRect().height);
    assert.ok(height < 40, `a worker row is ${height} px high`);

    const stopped = workers[6];
    await stopped.close();
    await page.locator('#workers tr[data-id="w7"] .badge', { hasText: 'down' }).waitFor({ timeout: 5000 });
    assert.equal(await page.locator('#w-active').textContent(), '19');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-20-workers.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
