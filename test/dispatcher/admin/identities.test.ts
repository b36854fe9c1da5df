/**
 * Stable worker identities (upstream-lineage.ts, health.ts, Registrar): what counts as a
 * restart, what a worker's next life carries over, and which gone workers are listed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamSet } from '../../../src/dispatcher/upstreams/upstream-set.js';
import { UpstreamLineage } from '../../../src/dispatcher/admin/upstream-lineage.js';
import { Registrar } from '../../../src/dispatcher/upstreams/registration.js';
import { HealthChecker, pingReport, recordProbe } from '../../../src/dispatcher/health/health.js';
import { createHttpServer } from '../../../src/server/server.js';
import { EventRecorder } from '../helpers/app-worker.js';

const T = { fails: 2, passes: 1 };

test('a known id back from a new address: one restart, counters and down time go on', () => {
  const set = new UpstreamSet();
  const lineage = new UpstreamLineage(set);
  const a = set.add('http://127.0.0.1:7001', { id: 'w1' });
  a.markUp();
  for (let i = 0; i < 5; i++) {
    a.begin();
    a.end(true, 1);
  }
  a.begin();
  a.end(false);
  a.markDown('process exited');
  set.remove(a.address, true);
  // Gone while serving: still listed, as down, until it returns.
  assert.deepEqual(
    lineage.listed().map((u) => [u.id, u.active]),
    [['w1', false]],
  );
  const b = set.add('http://127.0.0.1:7002', { id: 'w1' });
  assert.deepEqual([b.completed, b.failed, b.restarts], [5, 1, 1]);
  assert.ok(b.downSeconds() >= 0 && b.toJSON().DownSeconds >= 0);
  const downWhileGone = b.downSeconds();
  b.markUp();
  assert.ok(b.downSeconds() >= downWhileGone, 'the down period closes at markUp');
  assert.deepEqual(
    lineage.listed().map((u) => u.address),
    ['http://127.0.0.1:7002'],
    'listed once, at its new address',
  );
  assert.equal(b.toJSON().Restarts, 1);
  lineage.close();
});

test('the same address back: no restart unless /ping shows a new start time', () => {
  const set = new UpstreamSet();
  const lineage = new UpstreamLineage(set);
  const a = set.add('http://127.0.0.1:7001', { id: 'w1' });
  recordProbe(a, { ok: true, started: 1000 }, T);
  set.remove(a.address, true);
  const b = set.add('http://127.0.0.1:7001', { id: 'w1' });
  assert.equal(b.restarts, 0);
  assert.equal(recordProbe(b, { ok: true, started: 1000 }, T), false, 'the same process');
  assert.equal(recordProbe(b, { ok: true, started: 2000 }, T), true, 'a new process at the same address');
  assert.equal(b.restarts, 1);
  assert.equal(recordProbe(b, { ok: true, started: 2000 }, T), false);
  assert.equal(b.restarts, 1);
  lineage.close();
});

test('a worker that left after draining is remembered (counters carry) but not listed', () => {
  const set = new UpstreamSet({ drainTimeoutMs: 1000 });
  const lineage = new UpstreamLineage(set);
  const a = set.add('http://127.0.0.1:7001', { id: 'w7' });
  a.markUp();
  a.begin();
  a.end(true, 1);
  set.drain(a.address);
  set.remove(a.address);
  assert.deepEqual(lineage.listed(), []);
  const b = set.add('http://127.0.0.1:7009', { id: 'w7' });
  assert.deepEqual([b.completed, b.restarts], [1, 1]);
  lineage.close();
});

test('the lineage remembers at most its capacity of gone ids (the oldest are forgotten)', () => {
  const set = new UpstreamSet();
  const lineage = new UpstreamLineage(set, 3);
  for (let i = 1; i <= 5; i++) {
    const u = set.add(`http://127.0.0.1:${7000 + i}`, { id: `g${i}` });
    u.markUp();
    set.remove(u.address, true);
  }
  assert.deepEqual(
    lineage.gone().map((u) => u.id),
    ['g3', 'g4', 'g5'],
  );
  assert.equal(set.add('http://127.0.0.1:8001', { id: 'g1' }).restarts, 0, 'forgotten: a new worker');
  assert.equal(set.add('http://127.0.0.1:8005', { id: 'g5' }).restarts, 1);
  lineage.close();
});

test('Registrar.register: a known id from a new address is a restart; an unknown one is not', async () => {
  const set = new UpstreamSet();
  const lineage = new UpstreamLineage(set);
  const registrar = new Registrar(set, { maxRegistered: 10, pastAddress: (id) => lineage.pastAddress(id) });
  const register = (_set: UpstreamSet, body: unknown) => registrar.register(body);
  const first = await register(set, { address: 'http://10.0.0.1:8081', id: 'r1' });
  assert.deepEqual([first.created, first.restarted, first.worker.Restarts], [true, false, 0]);
  // Its previous life is inactive (it died): the newcomer with its id replaces it.
  const again = await register(set, { address: 'http://10.0.0.1:9000', id: 'r1' });
  assert.deepEqual([again.created, again.restarted, again.worker.ID, again.worker.Restarts], [true, true, 'r1', 1]);
  const same = await register(set, { address: 'http://10.0.0.1:9000', id: 'r1' });
  assert.deepEqual([same.created, same.restarted, same.worker.Restarts], [false, false, 1]);
  // An active holder is another worker: a fresh id, no restart.
  set.getById('r1')?.markUp();
  const other = await register(set, { address: 'http://10.0.0.2:9000', id: 'r1' });
  assert.notEqual(other.worker.ID, 'r1');
  assert.equal(other.restarted, false);
  lineage.close();
});

test('pingReport keeps numbers within bounds and ignores anything else (the answer is untrusted)', () => {
  assert.deepEqual(pingReport({ status: 'ok', load: 3, cpu: 0.25, rss: 123456, started: 1_700_000_000_000 }), {
    load: 3,
    cpu: 0.25,
    rss: 123456,
    started: 1_700_000_000_000,
  });
  assert.deepEqual(pingReport({ load: 'x', cpu: -1, rss: Number.POSITIVE_INFINITY, started: 2 ** 60 }), {});
  assert.deepEqual(pingReport({ cpu: 1e9, rss: '5' }), {});
  for (const junk of [null, 'ok', 42, [], undefined]) assert.deepEqual(pingReport(junk), {});
  const set = new UpstreamSet();
  const u = set.add('http://127.0.0.1:7001');
  recordProbe(u, { ok: true, ...pingReport({ load: 2, cpu: 1.5, rss: 1e8 }) }, T);
  assert.deepEqual([u.reportedLoad, u.toJSON().CPU, u.toJSON().MemoryBytes], [2, 1.5, 1e8]);
});

test('health checks: each probe a debug line; a new start time on /ping one restart, logged once at info', async (t) => {
  let started = 1_700_000_000_000;
  const server = createHttpServer({ onError: () => {}, shutdownTimeoutMs: 200 }, (_req, res) =>
    res.json(200, { status: 'ok', load: 1, cpu: 0.5, rss: 4e7, started }),
  );
  const addr = await server.listen(0, '127.0.0.1');
  const set = new UpstreamSet();
  t.after(async () => {
    await set.close();
    await server.close();
  });
  const rec = new EventRecorder();
  const u = set.add(`http://127.0.0.1:${addr.port}`);
  const health = new HealthChecker(set, { logger: rec, intervalMs: 60_000 });
  assert.equal(await health.check(u), true);
  assert.equal(await health.check(u), true);
  started += 5000;
  await health.check(u);
  await health.check(u);
  assert.equal(u.restarts, 1);
  assert.deepEqual(
    rec.events.filter((e) => e.level !== 'debug').map((e) => [e.level, e.event, e.restarts]),
    [['info', 'upstream_restarted', 1]],
  );
  const probes = rec.named('health_check');
  assert.equal(probes.length, 4);
  assert.ok(probes.every((e) => e.level === 'debug' && e.ok === true));
  assert.deepEqual([u.reportedCpu, u.reportedRss, u.reportedLoad], [0.5, 4e7, 1]);
});
