/**
 * Issue 16, takeover: who may change the worker set of a real `dhttp dispatcher` /
 * `dhttp start`. Anonymous and wrong-token registrations are refused and change nothing;
 * fixed, discovered and embedded workers cannot be deregistered or taken over; the
 * dispatcher's own address is refused; --max-registered caps the set; a real
 * `dhttp worker --register` joins with the token and only with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type StartedProcess, startProcess, startWorker } from '../../helpers/processes.js';
import { waitFor } from '../helpers/app-worker.js';
import { TOKEN, errorCode, registration, send, workerRows, workerSet } from './helpers.js';

const BEARER = `Bearer ${TOKEN}`;

describe('a dispatcher with a cluster token, over a fixed worker', () => {
  let worker: StartedProcess;
  let d: StartedProcess;
  const closers: StartedProcess[] = [];

  before(async () => {
    worker = await startWorker(['--threads', '1', '--log-level', 'warn']);
    d = await startProcess(
      'dispatcher',
      ['--host', '127.0.0.1', '--port', '0', '--upstreams', worker.url, '--max-registered', '2', '--log-level', 'warn'],
      { env: { DHTTP_CLUSTER_TOKEN: TOKEN } },
    );
    closers.push(d, worker);
    await waitFor('fixed worker active', async () => ((await workerRows(d.url))[0]?.Active ? true : undefined), 10_000);
  });
  after(async () => {
    for (const p of closers.reverse()) await p.stop();
  });

  test('anonymous or wrong-token register and deregister: 401 with WWW-Authenticate: Bearer, nothing changes', async () => {
    const before = await workerSet(d.url);
    const attacker = 'http://127.0.0.1:9';
    const cases: Array<[string, string | undefined]> = [
      ['none', undefined],
      ['wrong', 'Bearer security-suite-token-0123456780'],
      ['prefix', `Bearer ${TOKEN.slice(0, -1)}`],
      ['longer', `${BEARER}x`],
      ['other scheme', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`],
      ['empty bearer', 'Bearer '],
    ];
    for (const [name, auth] of cases) {
      const reg = await registration(d.url, '/workers/register', { address: attacker }, auth);
      assert.equal(reg.status, 401, name);
      assert.match(String(reg.headers['www-authenticate']), /^Bearer\b/, name);
      assert.equal(errorCode(reg), 'UNAUTHORIZED', name);
      const dereg = await registration(d.url, '/workers/deregister', { address: worker.url }, auth);
      assert.equal(dereg.status, 401, name);
      assert.equal(errorCode(dereg), 'UNAUTHORIZED', name);
    }
    assert.deepEqual(await workerSet(d.url), before, 'the worker set is untouched');
    // The fixed worker still serves.
    assert.equal((await send(`${d.url}/ping`)).status, 200);
  });

  test('the fixed worker cannot be deregistered or taken over, even with the token', async () => {
    const before = await workerSet(d.url);
    const dereg = await registration(d.url, '/workers/deregister', { address: worker.url }, BEARER);
    assert.equal(dereg.status, 409);
    assert.equal(errorCode(dereg), 'NOT_REGISTERED');
    assert.match((dereg.json as { error: { message: string } }).error.message, /fixed worker w1/);
    const takeover = await registration(d.url, '/workers/register', { address: `${worker.url}/`, id: 'evil' }, BEARER);
    assert.equal(takeover.status, 409);
    assert.equal(errorCode(takeover), 'NOT_REGISTERED');
    assert.deepEqual(await workerSet(d.url), before);

    // Its ID is not given away either.
    const clash = await registration(d.url, '/workers/register', { address: 'http://127.0.0.1:19', id: 'w1' }, BEARER);
    assert.equal(clash.status, 201);
    assert.notEqual((clash.json as { worker: { ID: string } }).worker.ID, 'w1');
    assert.equal((await registration(d.url, '/workers/deregister', { address: 'http://127.0.0.1:19' }, BEARER)).status, 200);
    await waitFor('drained', async () => ((await workerRows(d.url)).length === 1 ? true : undefined));
  });

  test("the dispatcher's own address is refused", async () => {
    for (const host of ['127.0.0.1', 'localhost', '127.0.0.2', '[::1]', '0.0.0.0']) {
      const own = await registration(d.url, '/workers/register', { address: `http://${host}:${d.port}` }, BEARER);
      assert.equal(own.status, 403, host);
      assert.equal(errorCode(own), 'OWN_ADDRESS', host);
    }
    assert.equal((await workerRows(d.url)).length, 1);
  });

  test('--max-registered caps registered workers: 503 REGISTRY_FULL with Retry-After', async () => {
    const before = await workerSet(d.url);
    for (const port of [21, 22]) {
      assert.equal((await registration(d.url, '/workers/register', { address: `http://127.0.0.1:${port}` }, BEARER)).status, 201);
    }
    const full = await registration(d.url, '/workers/register', { address: 'http://127.0.0.1:23' }, BEARER);
    assert.equal(full.status, 503);
    assert.equal(errorCode(full), 'REGISTRY_FULL');
    assert.match(String(full.headers['retry-after']), /^\d+$/);
    // Announcing again is not a new registration.
    assert.equal((await registration(d.url, '/workers/register', { address: 'http://127.0.0.1:22' }, BEARER)).status, 200);
    assert.equal((await workerRows(d.url)).filter((r) => r.Source === 'registered').length, 2);
    for (const port of [21, 22]) {
      assert.equal((await registration(d.url, '/workers/deregister', { address: `http://127.0.0.1:${port}` }, BEARER)).status, 200);
    }
    await waitFor('back to the fixed worker', async () =>
      JSON.stringify(await workerSet(d.url)) === JSON.stringify(before) ? true : undefined,
    );
  });

  test('dhttp worker --register joins with the token, and not with a wrong one', async () => {
    const wrong = await startWorker(['--threads', '1', '--register', d.url, '--register-interval', '100ms'], {
      env: { DHTTP_CLUSTER_TOKEN: 'not-the-cluster-token-0000' },
    });
    const right = await startWorker(['--threads', '1', '--register', d.url, '--register-interval', '100ms'], {
      env: { DHTTP_CLUSTER_TOKEN: TOKEN },
    });
    closers.push(wrong, right);
    await waitFor('registered worker listed', async () =>
      (await workerRows(d.url)).some((r) => r.Address === right.url) ? true : undefined,
    );
    // The refused one has been announcing every 100 ms meanwhile; wait a few more rounds.
    await new Promise((r) => setTimeout(r, 500));
    const rows = await workerRows(d.url);
    assert.equal(rows.find((r) => r.Address === right.url)?.Source, 'registered');
    assert.equal(
      rows.some((r) => r.Address === wrong.url),
      false,
      'a wrong token never joins',
    );
    assert.ok(wrong.lines.some((l) => l.includes('registration failed') && l.includes('401')));
    await right.stop();
    await waitFor('deregistered on shutdown', async () =>
      (await workerRows(d.url)).some((r) => r.Address === right.url) ? undefined : true,
    );
  });
});

test('a dispatcher without a cluster token refuses every registration with 403', async (t) => {
  const d = await startProcess('dispatcher', ['--host', '127.0.0.1', '--port', '0', '--log-level', 'warn'], { context: t });
  for (const path of ['/workers/register', '/workers/deregister'] as const) {
    for (const auth of [undefined, BEARER]) {
      const a = await registration(d.url, path, { address: 'http://127.0.0.1:9' }, auth);
      assert.equal(a.status, 403, `${path} ${auth ?? 'anonymous'}`);
      assert.equal(errorCode(a), 'REGISTRATION_DISABLED');
    }
  }
  assert.deepEqual(await workerRows(d.url), []);
});

test('discovered workers (--discover) cannot be deregistered', async (t) => {
  const w = await startWorker(['--threads', '1', '--log-level', 'warn'], { context: t });
  const d = await startProcess(
    'dispatcher',
    ['--host', '127.0.0.1', '--port', '0', '--discover', `localhost:${w.port}`, '--discover-interval', '200ms', '--log-level', 'warn'],
    { context: t, env: { DHTTP_CLUSTER_TOKEN: TOKEN } },
  );
  const row = await waitFor('discovered', async () => (await workerRows(d.url)).find((r) => r.Address === `http://127.0.0.1:${w.port}`));
  assert.equal(row.Source, 'discovered');
  const before = await workerSet(d.url);
  const dereg = await registration(d.url, '/workers/deregister', { address: row.Address }, BEARER);
  assert.equal(dereg.status, 409);
  assert.equal(errorCode(dereg), 'NOT_REGISTERED');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await workerSet(d.url), before);
});

test('embedded workers of dhttp start cannot be deregistered; anonymous registration is refused', async (t) => {
  const c = await startProcess('start', ['--host', '127.0.0.1', '--port', '0', '--workers', '1', '--threads', '1', '--log-level', 'warn'], {
    context: t,
    env: { DHTTP_CLUSTER_TOKEN: TOKEN },
  });
  const row = await waitFor('embedded worker active', async () => (await workerRows(c.url)).find((r) => r.Active));
  assert.equal(row.Source, 'embedded');
  const before = await workerSet(c.url);
  const dereg = await registration(c.url, '/workers/deregister', { address: row.Address }, BEARER);
  assert.equal(dereg.status, 409);
  assert.equal(errorCode(dereg), 'NOT_REGISTERED');
  const anonymous = await registration(c.url, '/workers/register', { address: 'http://127.0.0.1:9' });
  assert.equal(anonymous.status, 401);
  assert.deepEqual(await workerSet(c.url), before);
  assert.equal((await send(`${c.url}/ping`)).status, 200);
});
