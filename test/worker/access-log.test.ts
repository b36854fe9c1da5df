/**
 * The worker's access log in a real process: the fields issue 20 asks for (client address,
 * query, user agent, each client-controlled one bounded), and SIGTERM right after a burst
 * of requests losing none of their lines.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { call } from '../helpers/http.js';
import { startWorker } from '../helpers/processes.js';

function parsed(lines: readonly string[]): Array<Record<string, unknown>> {
  return lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

it('access lines carry client, query and user agent, cut to --access-log-field-max', async (t) => {
  const w = await startWorker(['--threads', '1', '--access-log-field-max', '40'], { context: t });
  const ua = `probe-agent/1.0 ${'u'.repeat(100)}`;
  await call(`${w.url}/ping?probe=1&${'q'.repeat(100)}`, { headers: { 'user-agent': ua } });
  await call(`${w.url}/ping`);
  // Lines wait at most 100 ms in their block.
  let lines: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 50 && lines.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 20));
    lines = parsed(w.lines).filter((o) => o.msg === 'request' && o.path === '/ping');
  }
  assert.equal(lines.length, 2);
  const [probe, plain] = lines;
  assert.equal(probe.client, '127.0.0.1');
  assert.equal(probe.query, `probe=1&${'q'.repeat(32)}…`);
  assert.equal(probe.ua, `${ua.slice(0, 40)}…`);
  assert.equal(probe.method, 'GET');
  assert.equal(probe.status, 200);
  assert.equal(plain.query, '');
  assert.equal(typeof plain.ua, 'string');
  for (const k of ['level', 'time', 'pid', 'role', 'worker', 'component', 'id', 'bytes', 'ms']) assert.ok(k in probe, k);
});

it('SIGTERM right after a burst of requests: every access line is written before exit', async () => {
  const w = await startWorker(['--threads', '1']);
  const ids = Array.from({ length: 300 }, (_, i) => `burst-${i}`);
  for (let i = 0; i < ids.length; i += 30) {
    await Promise.all(ids.slice(i, i + 30).map((id) => call(`${w.url}/ping`, { headers: { 'x-request-id': id } })));
  }
  const { code } = await w.stop('SIGTERM');
  assert.equal(code, 0);
  // The last stdout bytes arrive with the exit; give the pipe a moment.
  await new Promise((r) => setTimeout(r, 50));
  const seen = new Set(parsed(w.lines).flatMap((o) => (o.msg === 'request' ? [o.id as string] : [])));
  assert.deepEqual(
    ids.filter((id) => !seen.has(id)),
    [],
    'no access line is lost',
  );
  assert.ok(parsed(w.lines).some((o) => o.msg === 'stopped'));
});
