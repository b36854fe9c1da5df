/** The dispatcher's own addresses (own-address.ts): its port on any address of this machine, or on its --host. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OwnAddress } from '../../../src/dispatcher/upstreams/own-address.js';

test('its port on loopback, unspecified, interface and configured addresses, by address or by name', async () => {
  const own = new OwnAddress({
    host: 'dispatcher.internal',
    port: () => 8080,
    interfaces: () => ['127.0.0.1', '192.0.2.10', 'fe80::1', '::1'],
    resolver: async (host) => {
      if (host === 'dispatcher.internal') return ['198.51.100.20'];
      if (host === 'alias.test') return ['203.0.113.5', '192.0.2.10'];
      if (host === 'slow.test') return new Promise(() => {});
      throw new Error('ENOTFOUND');
    },
    lookupTimeoutMs: 100,
  });
  for (const origin of [
    'http://127.0.0.1:8080',
    'http://127.0.0.2:8080',
    'http://0.0.0.0:8080',
    'http://[::1]:8080',
    'http://[::]:8080',
    'http://[::ffff:127.0.0.1]:8080',
    'http://192.0.2.10:8080',
    'http://[fe80::1]:8080',
    'http://198.51.100.20:8080',
    'http://dispatcher.internal:8080',
    'http://alias.test:8080',
    'http://localhost:8080',
  ]) {
    // `localhost` resolves through the fake resolver to nothing: not ours, and the loop guard is the backstop.
    assert.equal(await own.is(origin), origin !== 'http://localhost:8080', origin);
  }
  for (const origin of ['http://127.0.0.1:8081', 'http://203.0.113.5:8080', 'http://nowhere.test:8080', 'http://slow.test:8080']) {
    assert.equal(await own.is(origin), false, origin);
  }
});

test('the default port of the scheme counts; names go through the system resolver', async () => {
  const own = new OwnAddress({ host: '0.0.0.0', port: () => 80 });
  assert.equal(await own.is('http://127.0.0.1'), true);
  assert.equal(await own.is('http://localhost'), true);
  assert.equal(await own.is('http://127.0.0.1:8080'), false);
});
