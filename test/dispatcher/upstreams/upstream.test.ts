import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Upstream } from '../../../src/dispatcher/upstreams/upstream.js';
import { parseFixedUpstream, parseUpstreamAddress } from '../../../src/config/addresses.js';
import { UpstreamSet } from '../../../src/dispatcher/upstreams/upstream-set.js';
import { parseRegistration } from '../../../src/dispatcher/upstreams/registration.js';
import { HttpError } from '../../../src/common/errors.js';

test('Upstream: begin/end track load, counters and a latency EWMA', () => {
  const u = new Upstream('w1', 'http://127.0.0.1:1');
  u.begin();
  u.begin();
  assert.equal(u.load, 2);
  u.end(true, 10);
  assert.equal(u.latency, 10);
  u.end(true, 20);
  assert.equal(u.latency, 12);
  assert.equal(u.load, 0);
  u.begin();
  u.end(false);
  u.begin();
  u.release();
  assert.deepEqual([u.load, u.completed, u.failed], [0, 2, 1]);
  u.release(); // never below zero
  assert.equal(u.load, 0);
});

test('Upstream: markUp/markDown notify on transitions only; toJSON has the /workers shape', () => {
  const events: string[] = [];
  const u = new Upstream('w7', 'http://10.0.0.1:8081', { notify: (e) => events.push(e) });
  assert.equal(u.available, false);
  u.markUp();
  u.markUp();
  u.markDown('boom');
  u.markDown('again');
  assert.deepEqual(events, ['up', 'down']);
  assert.equal(u.lastError, 'again');
  u.lastCheck = new Date('2024-01-02T03:04:05.000Z');
  const json = u.toJSON();
  assert.deepEqual(Object.keys(json).slice(0, 7), ['ID', 'Address', 'Active', 'LastCheck', 'Load', 'Completed', 'Failed']);
  assert.equal(json.ID, 'w7');
  assert.equal(json.LastCheck, '2024-01-02T03:04:05.000Z');
  assert.equal(json.Active, false);
  assert.equal(typeof json.ConsecutiveFailures, 'number');
  assert.equal(typeof json.LatencyMs, 'number');
  assert.doesNotThrow(() => JSON.stringify([u]));
});

test('Upstream: idle() resolves when the last request ends', async () => {
  const u = new Upstream('w1', 'http://127.0.0.1:1');
  await u.idle();
  u.begin();
  let idle = false;
  const p = u.idle().then(() => (idle = true));
  await Promise.resolve();
  assert.equal(idle, false);
  u.end(true, 1);
  await p;
  assert.equal(idle, true);
});

test('parseUpstreamAddress normalises origins and rejects the rest', () => {
  assert.equal(parseUpstreamAddress('http://LOCALHOST:8081/'), 'http://localhost:8081');
  assert.equal(parseUpstreamAddress('http://[::1]:9000'), 'http://[::1]:9000');
  assert.equal(parseUpstreamAddress('http://h'), 'http://h');
  assert.equal(parseUpstreamAddress('https://H:8443/'), 'https://h:8443', 'a worker serving TLS');
  for (const bad of ['', 'h:8081', 'ftp://h', 'http://u:p@h:1', 'http://h:1/x', 'http://h:1?q', 'http://h:0', 'http://h:70000']) {
    assert.throws(() => parseUpstreamAddress(bad), TypeError, bad);
  }
});

test('socket upstreams: unix:/path, keyed by the path, Host localhost; never by registration', async () => {
  assert.equal(parseFixedUpstream('http://H:1/'), 'http://h:1');
  assert.equal(parseFixedUpstream('unix:/run/w1.sock'), 'unix:/run/w1.sock');
  for (const bad of ['unix:', 'unix:w.sock', `unix:/${'x'.repeat(100)}`, 'unix:/a\nb']) {
    assert.throws(() => parseFixedUpstream(bad), TypeError, bad);
  }
  const set = new UpstreamSet();
  const a = set.addSocket('/run/a.sock');
  const b = set.addSocket('/run/b.sock');
  assert.notEqual(a, b, 'two sockets are two upstreams, though both have Host localhost');
  assert.equal(set.addSocket('/run/a.sock'), a);
  assert.equal(set.get('unix:/run/a.sock'), a);
  assert.deepEqual(
    [a.address, a.origin, a.socketPath, a.toJSON().Address, a.toJSON().Socket],
    ['unix:/run/a.sock', 'http://localhost', '/run/a.sock', 'unix:/run/a.sock', '/run/a.sock'],
  );
  // A remote POST /workers/register must not make the dispatcher connect to a local socket.
  assert.throws(
    () => parseRegistration({ address: 'unix:/var/run/docker.sock' }),
    (e: unknown) => e instanceof HttpError && e.status === 400,
  );
  assert.equal(set.size, 2);
  assert.equal(set.remove('unix:/run/a.sock'), true);
  assert.equal(set.get('unix:/run/a.sock'), undefined);
  await set.close();
});

test('UpstreamSet: add is idempotent by address; IDs are stable across remove/re-add', () => {
  const set = new UpstreamSet();
  const seen: string[] = [];
  for (const e of ['added', 'removed', 'up', 'down'] as const) set.on(e, (u) => seen.push(`${e}:${u.id}`));
  const a = set.add('http://127.0.0.1:1');
  const b = set.add('http://127.0.0.1:2');
  assert.equal(set.add('http://127.0.0.1:1/'), a);
  assert.deepEqual(
    set.list().map((u) => u.id),
    ['w1', 'w2'],
  );
  assert.equal(set.available().length, 0);
  a.markUp();
  assert.deepEqual(set.available(), [a]);
  assert.equal(set.remove('http://127.0.0.1:1'), true);
  assert.equal(set.remove('http://127.0.0.1:1'), false);
  const c = set.add('http://127.0.0.1:3');
  const a2 = set.add('http://127.0.0.1:1');
  assert.equal(a2.id, 'w1');
  assert.notEqual(a2, a);
  assert.equal(c.id, 'w3');
  assert.equal(set.getById('w2'), b);
  assert.equal(set.add('http://127.0.0.1:4', { id: 'w9' }).id, 'w9');
  assert.deepEqual(seen, ['added:w1', 'added:w2', 'up:w1', 'removed:w1', 'added:w3', 'added:w1', 'added:w9']);
});

test('UpstreamSet: drain stops selection, removes once idle; re-adding cancels', async () => {
  const set = new UpstreamSet();
  const u = set.add('http://127.0.0.1:1');
  u.markUp();
  u.begin();
  assert.equal(set.drain(u.address, 10_000), true);
  assert.equal(u.available, false);
  assert.equal(set.get(u.address), u);
  u.end(true, 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(set.get(u.address), undefined);

  const v = set.add('http://127.0.0.1:2');
  v.markUp();
  v.begin();
  set.drain(v.address, 10_000);
  assert.equal(set.add(v.address), v);
  assert.equal(v.draining, false);
  assert.equal(v.available, true);
  v.release();
  await new Promise((r) => setImmediate(r));
  assert.equal(set.get(v.address), v);
  assert.equal(set.drain('http://127.0.0.1:99'), false);
});

test('UpstreamSet: a draining upstream is removed after the timeout even when busy', async () => {
  const set = new UpstreamSet({ drainTimeoutMs: 20 });
  const u = set.add('http://127.0.0.1:1');
  u.begin();
  const removed = new Promise((r) => set.on('removed', r));
  set.drain(u.address);
  const keepAlive = setTimeout(() => {}, 5_000); // the drain timer is unref'd
  assert.equal(await removed, u);
  clearTimeout(keepAlive);
});

test('a removed upstream opens no new connections', async () => {
  const set = new UpstreamSet();
  const u = set.add('http://127.0.0.1:1');
  assert.ok(u.transport.pool);
  set.remove(u.address);
  await new Promise((r) => setImmediate(r));
  assert.throws(() => u.transport.pool, { code: 'CLOSED' });
  assert.throws(() => u.transport.probe, { code: 'CLOSED' });
});
