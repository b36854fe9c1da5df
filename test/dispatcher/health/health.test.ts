import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { UpstreamSet } from '../../../src/dispatcher/upstreams/upstream-set.js';
import { HealthChecker, markConnectFailure, recordProbe } from '../../../src/dispatcher/health/health.js';
import { Upstream } from '../../../src/dispatcher/upstreams/upstream.js';
import { deadAddress, listen, recordingLogger } from '../helpers/front.js';

/** A worker stand-in whose /ping can be switched between ok, 500 and silence. */
async function pingServer() {
  const state = { mode: 'ok' as 'ok' | 'error' | 'hang', load: 3, pings: 0 };
  const server = http.createServer((_req, res) => {
    state.pings++;
    if (state.mode === 'hang') return; // never answers
    if (state.mode === 'error') {
      res.writeHead(500).end('{}');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: 'ok', load: state.load }));
  });
  return { state, ...(await listen(server)) };
}

test('recordProbe: thresholds for down and up; the first probe decides alone', () => {
  const u = new Upstream('w1', 'http://127.0.0.1:1');
  const t = { fails: 2, passes: 2 };
  recordProbe(u, { ok: true, load: 4 }, t);
  assert.equal(u.active, true);
  assert.equal(u.reportedLoad, 4);
  assert.ok(u.lastCheck instanceof Date);
  recordProbe(u, { ok: false, reason: 'x' }, t);
  assert.equal(u.active, true);
  assert.equal(u.consecutiveFailures, 1);
  recordProbe(u, { ok: false, reason: 'y' }, t);
  assert.equal(u.active, false);
  assert.equal(u.lastError, 'y');
  recordProbe(u, { ok: true }, t);
  assert.equal(u.active, false);
  recordProbe(u, { ok: true }, t);
  assert.equal(u.active, true);
  assert.equal(u.consecutivePasses, 2);
  assert.equal(u.consecutiveFailures, 0);
});

test('passive: a connect failure marks the upstream down at once', () => {
  const u = new Upstream('w1', 'http://127.0.0.1:1');
  u.markUp();
  markConnectFailure(u, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  assert.equal(u.active, false);
  assert.match(u.lastError ?? '', /ECONNREFUSED/);
});

test('active: probes real servers; fails → down, passes → up again; records load', async () => {
  const w = await pingServer();
  const set = new UpstreamSet();
  const log = recordingLogger();
  const hc = new HealthChecker(set, { intervalMs: 60_000, timeoutMs: 200, fails: 2, passes: 1, logger: log });
  hc.start();
  try {
    const u = set.add(w.url);
    assert.equal(await hc.check(u), true); // joins the probe started by 'added'
    assert.equal(u.active, true);
    assert.equal(u.reportedLoad, 3);
    w.state.mode = 'error';
    assert.equal(await hc.check(u), false);
    assert.equal(u.active, true);
    w.state.mode = 'hang';
    const t0 = performance.now();
    assert.equal(await hc.check(u), false);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(u.active, false);
    w.state.mode = 'ok';
    await hc.checkAll();
    assert.equal(u.active, true);
    assert.deepEqual(
      log.events.map((e) => e.event),
      ['upstream_up', 'upstream_down', 'upstream_up'],
    );
  } finally {
    hc.stop();
    await set.close();
    await w.close();
  }
});

test('active: a dead address stays down; probes in flight are shared', async () => {
  const set = new UpstreamSet();
  const hc = new HealthChecker(set, { intervalMs: 60_000, timeoutMs: 300 });
  const u = set.add(await deadAddress());
  const [a, b] = [hc.check(u), hc.check(u)];
  assert.equal(await a, false);
  assert.equal(await b, false);
  assert.equal(u.active, false);
  assert.match(u.lastError ?? '', /ECONNREFUSED/);
  assert.equal(u.consecutiveFailures, 1);
  await set.close();
});

test('active: the interval timer keeps probing and brings a down upstream back', async () => {
  const w = await pingServer();
  const set = new UpstreamSet();
  const hc = new HealthChecker(set, { intervalMs: 20, timeoutMs: 200, fails: 1, passes: 2 });
  const u = set.add(w.url);
  hc.start();
  const keepAlive = setTimeout(() => {}, 10_000); // the checker's timer is unref'd
  try {
    const waitFor = async (cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(cond());
    };
    await waitFor(() => u.active);
    w.state.mode = 'error';
    await waitFor(() => !u.active);
    w.state.mode = 'ok';
    await waitFor(() => u.active);
    assert.ok(u.consecutivePasses >= 2);
  } finally {
    clearTimeout(keepAlive);
    hc.stop();
    await set.close();
    await w.close();
  }
});
