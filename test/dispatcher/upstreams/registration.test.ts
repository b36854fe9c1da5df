/**
 * Registration rules (registration.ts): idempotent, ID-keeping, and never touching what a
 * registration did not add; the dispatcher's own address and a full set are refused.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamSet } from '../../../src/dispatcher/upstreams/upstream-set.js';
import { Registrar } from '../../../src/dispatcher/upstreams/registration.js';
import { HttpError, type ErrorCode } from '../../../src/common/errors.js';

function refused(code: ErrorCode): (e: unknown) => boolean {
  return (e: unknown) => e instanceof HttpError && e.code === code;
}

const addresses = (set: UpstreamSet): string[] => set.list().map((u) => `${u.id} ${u.address} ${u.source}${u.draining ? ' draining' : ''}`);

describe('Registrar', () => {
  test('register is idempotent and keeps the ID; deregister drains', async () => {
    const set = new UpstreamSet();
    const r = new Registrar(set, { maxRegistered: 10 });
    const first = await r.register({ address: 'http://127.0.0.1:8081' });
    assert.equal(first.created, true);
    assert.equal(first.worker.ID, 'w1');
    assert.equal(first.worker.Source, 'registered');
    const again = await r.register(Buffer.from('{"address":"http://127.0.0.1:8081/"}'));
    assert.equal(again.created, false);
    assert.equal(set.size, 1);
    assert.deepEqual(r.deregister('{"address":"http://127.0.0.1:8081"}'), { removed: true, address: 'http://127.0.0.1:8081' });
    assert.equal(set.get('http://127.0.0.1:8081')?.draining, true);
    // Announcing again ends the draining.
    await r.register({ address: 'http://127.0.0.1:8081' });
    assert.equal(set.get('http://127.0.0.1:8081')?.draining, false);
    assert.equal(r.deregister({ address: 'http://127.0.0.1:9999' }).removed, false);
    await set.close();
  });

  test('fixed, discovered and embedded workers cannot be deregistered or taken over', async () => {
    const set = new UpstreamSet();
    set.add('http://10.0.0.1:8081', { source: 'fixed' });
    set.add('http://10.0.0.2:8081', { source: 'discovered' });
    set.add('http://127.0.0.1:40001', { id: 'w7', source: 'embedded' });
    const before = addresses(set);
    const r = new Registrar(set, { maxRegistered: 10 });
    for (const address of ['http://10.0.0.1:8081', 'http://10.0.0.2:8081/', 'http://127.0.0.1:40001']) {
      assert.throws(() => r.deregister({ address }), refused('NOT_REGISTERED'), address);
      await assert.rejects(r.register({ address, id: 'mine' }), refused('NOT_REGISTERED'), address);
    }
    assert.deepEqual(addresses(set), before, 'nothing changed');
    await set.close();
  });

  test('a registered worker that DNS or the operator also names becomes theirs', async () => {
    const set = new UpstreamSet();
    const r = new Registrar(set, { maxRegistered: 10 });
    await r.register({ address: 'http://10.0.0.5:8081' });
    set.add('http://10.0.0.5:8081', { source: 'discovered' });
    assert.equal(set.get('http://10.0.0.5:8081')?.source, 'discovered');
    assert.throws(() => r.deregister({ address: 'http://10.0.0.5:8081' }), refused('NOT_REGISTERED'));
    // And never back: a later registration does not make it deregistrable again.
    await assert.rejects(r.register({ address: 'http://10.0.0.5:8081' }), refused('NOT_REGISTERED'));
    set.add('http://10.0.0.5:8081', { source: 'registered' });
    assert.equal(set.get('http://10.0.0.5:8081')?.source, 'discovered');
    await set.close();
  });

  test("an ID that a non-registered worker holds (or held) is not given away; a registered one's previous life is replaced", async () => {
    const set = new UpstreamSet();
    const fixed = set.add('http://10.0.0.1:8081', { id: 'edge' });
    const embedded = set.add('http://127.0.0.1:40001', { id: 'w2', source: 'embedded' });
    set.remove(embedded.address); // a crashed child: its ID comes back with it
    const r = new Registrar(set, { maxRegistered: 10 });
    const a = await r.register({ address: 'http://10.9.0.1:1', id: 'edge' });
    assert.notEqual(a.worker.ID, 'edge', 'an inactive fixed worker keeps its ID');
    assert.equal(set.getById('edge'), fixed);
    const b = await r.register({ address: 'http://10.9.0.2:1', id: 'w2' });
    assert.notEqual(b.worker.ID, 'w2', "an embedded worker's ID waits for it");

    // A registered worker restarted on a new port keeps its ID (its old, inactive entry goes).
    const old = await r.register({ address: 'http://10.9.0.3:1', id: 'roamer' });
    assert.equal(old.worker.ID, 'roamer');
    const moved = await r.register({ address: 'http://10.9.0.4:1', id: 'roamer' });
    assert.equal(moved.worker.ID, 'roamer');
    assert.equal(set.get('http://10.9.0.3:1'), undefined);
    // While it is active, a newcomer asking for its ID gets another.
    set.getById('roamer')?.markUp();
    const clash = await r.register({ address: 'http://10.9.0.5:1', id: 'roamer' });
    assert.notEqual(clash.worker.ID, 'roamer');
    assert.equal(set.getById('roamer')?.address, 'http://10.9.0.4:1');
    await set.close();
  });

  test('the dispatcher itself is refused', async () => {
    const set = new UpstreamSet();
    const asked: string[] = [];
    const r = new Registrar(set, {
      maxRegistered: 10,
      isOwnAddress: async (origin) => {
        asked.push(origin);
        return origin === 'http://127.0.0.2:8080';
      },
    });
    await assert.rejects(r.register({ address: 'http://127.0.0.2:8080/' }), refused('OWN_ADDRESS'));
    assert.equal(set.size, 0);
    await r.register({ address: 'http://127.0.0.2:8081' });
    assert.deepEqual(asked, ['http://127.0.0.2:8080', 'http://127.0.0.2:8081']);
    await set.close();
  });

  test('--max-registered caps registered workers only; a known one may announce again', async () => {
    const set = new UpstreamSet();
    set.add('http://10.0.0.1:8081');
    const r = new Registrar(set, { maxRegistered: 2 });
    await r.register({ address: 'http://10.1.0.1:1' });
    await r.register({ address: 'http://10.1.0.2:1' });
    await assert.rejects(r.register({ address: 'http://10.1.0.3:1' }), (e: unknown) => {
      assert.ok(e instanceof HttpError);
      assert.equal(e.code, 'REGISTRY_FULL');
      assert.equal(e.status, 503);
      assert.match(e.headers['Retry-After'] ?? '', /^\d+$/);
      return true;
    });
    assert.equal((await r.register({ address: 'http://10.1.0.2:1' })).created, false);
    assert.equal(set.size, 3);
    await set.close();
  });

  test('bad bodies are 400 INVALID_BODY, unix sockets included', async () => {
    const set = new UpstreamSet();
    const r = new Registrar(set, { maxRegistered: 10 });
    const bad: unknown[] = [
      null,
      'not json',
      '[]',
      {},
      { address: 42 },
      { address: 'ftp://h:1' },
      { address: 'unix:/var/run/docker.sock' },
      { address: 'http://h:1/path' },
      { address: 'http://user:pw@h:1' },
      { address: 'http://:1' },
      { address: 'http://h:99999' },
      { address: `http://${'a'.repeat(3000)}:1` },
      { address: 'http://h:1', id: 'bad id' },
    ];
    for (const body of bad) {
      await assert.rejects(r.register(body), refused('INVALID_BODY'), JSON.stringify(body));
    }
    assert.equal(set.size, 0);
    await set.close();
  });
});
