import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamSet } from '../../../src/dispatcher/upstreams/upstream-set.js';
import { DnsDiscovery, StaticDiscovery, systemResolver, type Discovery } from '../../../src/dispatcher/upstreams/discovery.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

// Contract: every Discovery fills the set on start, is idempotent and stops cleanly.
const sources: Array<[string, () => { d: Discovery; expected: string[]; settle: (d: Discovery) => Promise<void> }]> = [
  [
    'StaticDiscovery',
    () => ({
      d: new StaticDiscovery(['http://127.0.0.1:9001', 'http://127.0.0.1:9002/']),
      expected: ['http://127.0.0.1:9001', 'http://127.0.0.1:9002'],
      settle: async () => {},
    }),
  ],
  [
    'DnsDiscovery',
    () => ({
      d: new DnsDiscovery('workers', 9001, 60_000, async () => ['10.0.0.1', 'fd00::2']),
      expected: ['http://10.0.0.1:9001', 'http://[fd00::2]:9001'],
      settle: (d) => (d as DnsDiscovery).refresh(),
    }),
  ],
];

for (const [name, make] of sources) {
  describe(`discovery contract: ${name}`, () => {
    test('start adds the upstreams, inactive until checked; start twice adds nothing new', async () => {
      const { d, expected, settle } = make();
      const set = new UpstreamSet();
      d.start(set);
      await settle(d);
      d.start(set);
      await settle(d);
      assert.deepEqual(
        set.list().map((u) => u.address),
        expected,
      );
      assert.ok(set.list().every((u) => !u.active));
      d.stop();
      d.stop();
    });
  });
}

test('StaticDiscovery rejects a bad address at construction', () => {
  assert.throws(() => new StaticDiscovery(['http://ok:1', 'tcp://bad']), TypeError);
});

test('DnsDiscovery: adds new records, drains vanished ones, keeps IDs, survives lookup errors', async () => {
  let answer: string[] | Error = ['10.0.0.1', '10.0.0.2'];
  const d = new DnsDiscovery('worker', 8081, 60_000, {
    resolver: async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    },
    drainTimeoutMs: 60_000,
  });
  const set = new UpstreamSet();
  set.add('http://127.0.0.1:7000', { source: 'registered' }); // someone else's: never touched by DNS
  set.add('http://10.0.0.9:8081'); // fixed, and also in DNS for a while: never drained by it
  d.start(set);
  await d.refresh();
  const [a, b] = [set.get('http://10.0.0.1:8081'), set.get('http://10.0.0.2:8081')];
  assert.ok(a && b);

  b.begin(); // a request in flight on the one about to vanish
  assert.deepEqual([a.source, b.source, set.get('http://10.0.0.9:8081')?.source], ['discovered', 'discovered', 'fixed']);

  answer = ['10.0.0.1', '10.0.0.3', '10.0.0.9'];
  await d.refresh();
  assert.equal(set.get('http://10.0.0.9:8081')?.source, 'fixed', 'DNS does not take over a fixed worker');
  answer = ['10.0.0.1', '10.0.0.3'];
  await d.refresh();
  assert.equal(set.get('http://10.0.0.9:8081')?.draining, false, 'a fixed worker that left DNS stays');
  set.remove('http://10.0.0.9:8081');
  assert.ok(set.get('http://10.0.0.3:8081'));
  assert.equal(b.draining, true);
  assert.equal(set.get(b.address), b, 'kept while busy');
  b.end(true, 1);
  await tick();
  assert.equal(set.get(b.address), undefined, 'removed once idle');

  answer = Object.assign(new Error('getaddrinfo ENOTFOUND worker'), { code: 'ENOTFOUND' });
  await d.refresh();
  assert.deepEqual(
    set.list().map((u) => u.address),
    ['http://127.0.0.1:7000', 'http://10.0.0.1:8081', 'http://10.0.0.3:8081'],
  );

  answer = ['10.0.0.2'];
  await d.refresh();
  await tick();
  assert.deepEqual(
    set.list().map((u) => u.address),
    ['http://127.0.0.1:7000', 'http://10.0.0.2:8081'],
  );
  assert.equal(set.get('http://10.0.0.2:8081')?.id, b.id, 'a returning record keeps its ID');
  d.stop();
});

test('DnsDiscovery: a record that comes back while draining is kept', async () => {
  let answer = ['10.0.0.1'];
  const d = new DnsDiscovery('worker', 8081, 60_000, async () => answer);
  const set = new UpstreamSet();
  d.start(set);
  await d.refresh();
  const u = set.get('http://10.0.0.1:8081');
  assert.ok(u);
  u.begin();
  answer = [];
  await d.refresh();
  assert.equal(u.draining, true);
  answer = ['10.0.0.1'];
  await d.refresh();
  assert.equal(u.draining, false);
  u.release();
  await tick();
  assert.equal(set.get(u.address), u);
  d.stop();
  await set.close();
});

test('DnsDiscovery with the real resolver: localhost', async () => {
  const ips = await systemResolver('localhost');
  assert.ok(
    ips.some((ip) => ip === '127.0.0.1' || ip === '::1'),
    `got ${ips}`,
  );
  const d = new DnsDiscovery('localhost', 8081, 60_000);
  const set = new UpstreamSet();
  d.start(set);
  await d.refresh();
  const addresses = set.list().map((u) => u.address);
  assert.ok(addresses.includes('http://127.0.0.1:8081') || addresses.includes('http://[::1]:8081'), `got ${addresses}`);
  d.stop();
});
