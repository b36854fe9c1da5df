/**
 * The client address (client-address.ts): the peer's unless the peer is a trusted proxy,
 * then the right-most X-Forwarded-For entry outside the trusted ranges.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TrustedProxies, clientAddressOf, plainAddress } from '../../src/common/client-address.js';

describe('TrustedProxies', () => {
  test('IPv4 and IPv6 ranges, single addresses, IPv4-mapped peers', () => {
    const t = new TrustedProxies(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1']);
    for (const a of ['10.0.0.1', '10.255.255.255', '192.168.1.7', 'fd12::1', '::1', '::ffff:10.1.2.3']) assert.ok(t.has(a), a);
    for (const a of ['11.0.0.1', '192.168.1.8', 'fe80::1', '::2', '', 'unknown', '::ffff:11.1.2.3']) assert.ok(!t.has(a), a);
    assert.equal(new TrustedProxies().has('127.0.0.1'), false, 'nobody by default');
    assert.throws(() => new TrustedProxies(['10.0.0.0/40']), TypeError);
  });
});

describe('clientAddressOf', () => {
  const trusted = new TrustedProxies(['10.0.0.0/8', 'fd00::/8']);

  test('an untrusted peer is the client, whatever X-Forwarded-For says', () => {
    assert.equal(clientAddressOf('203.0.113.9', '198.51.100.1', trusted), '203.0.113.9');
    assert.equal(clientAddressOf('::ffff:203.0.113.9', '198.51.100.1', trusted), '203.0.113.9');
    assert.equal(clientAddressOf('203.0.113.9', undefined, new TrustedProxies()), '203.0.113.9');
  });

  test('behind trusted proxies: the right-most untrusted entry', () => {
    assert.equal(clientAddressOf('10.0.0.1', '198.51.100.1', trusted), '198.51.100.1');
    // The client forged the left part; the proxies appended the rest.
    assert.equal(clientAddressOf('10.0.0.1', '1.2.3.4, 198.51.100.1, 10.0.0.2', trusted), '198.51.100.1');
    assert.equal(clientAddressOf('::ffff:10.0.0.1', '1.2.3.4,198.51.100.1,fd00::7', trusted), '198.51.100.1');
    assert.equal(clientAddressOf('10.0.0.1', '[2001:db8::1]:4711, 10.0.0.2', trusted), '2001:db8::1');
    assert.equal(clientAddressOf('10.0.0.1', '198.51.100.1:5555', trusted), '198.51.100.1');
    assert.equal(clientAddressOf('10.0.0.1', ' 198.51.100.1 ,, 10.0.0.3 ', trusted), '198.51.100.1');
  });

  test('no field, all trusted, or garbage: the last address the chain vouches for', () => {
    assert.equal(clientAddressOf('10.0.0.1', undefined, trusted), '10.0.0.1');
    assert.equal(clientAddressOf('10.0.0.1', '10.0.0.3, 10.0.0.2', trusted), '10.0.0.3');
    assert.equal(clientAddressOf('10.0.0.1', 'unknown, 10.0.0.2', trusted), '10.0.0.2');
    assert.equal(clientAddressOf('10.0.0.1', '', trusted), '10.0.0.1');
  });

  test('property: the result is the peer or an address of the field, never a forged entry left of an untrusted one', () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
    const hop = fc.oneof(
      v4,
      v4.map((a) => `10.${a.split('.').slice(1).join('.')}`),
    );
    fc.assert(
      fc.property(fc.array(hop, { maxLength: 8 }), hop, (entries, peer) => {
        const got = clientAddressOf(peer, entries.length === 0 ? undefined : entries.join(', '), trusted);
        if (!trusted.has(peer)) return got === peer;
        const untrusted = entries.map((e, i) => [e, i] as const).filter(([e]) => !trusted.has(e));
        if (untrusted.length === 0) return got === (entries[0] ?? peer);
        return got === untrusted[untrusted.length - 1][0];
      }),
    );
  });

  test('plainAddress drops the IPv4-mapped prefix only', () => {
    assert.equal(plainAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(plainAddress('::ffff:7f00:1'), '::ffff:7f00:1');
    assert.equal(plainAddress('::1'), '::1');
  });
});
