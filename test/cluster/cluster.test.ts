/**
 * `dhttp start` as a real process: workers come up with stable IDs, a killed worker comes
 * back as itself, worker options reach the children, and no child outlives the cluster,
 * whether it is stopped (SIGTERM, exit 0) or killed (SIGKILL: the lifeline).
 */
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { ClusterProcess, isAlive, waitGone } from '../../bench/cluster-process.js';
import { LIFELINE_GRACE_MS } from '../../src/cluster/lifeline.js';
import { waitActive } from '../../bench/zero-loss.js';

interface WorkerEntry {
  ID: string;
  Address: string;
  Active: boolean;
  Socket: string | null;
  Completed: number;
}

async function workers(url: string): Promise<WorkerEntry[]> {
  const res = await fetch(`${url}/workers`);
  assert.equal(res.status, 200);
  return (await res.json()) as WorkerEntry[];
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let www: string;
let cluster: ClusterProcess;

before(async () => {
  www = await mkdtemp(join(tmpdir(), 'dhttp-cluster-www-'));
  await writeFile(join(www, 'hello.txt'), 'hello from the cluster www\n');
  cluster = await ClusterProcess.start(2, {
    // A flag and an env twin, both passed on to the children.
    args: ['--www', www, '--restart-backoff', '100ms'],
    env: { ...process.env, DHTTP_THREADS: '2' },
  });
  await waitActive(cluster.url, 2);
});

after(async () => {
  if (cluster !== undefined) {
    cluster.kill('SIGKILL');
    await waitGone(cluster.allPids, 5000);
  }
  await rm(www, { recursive: true, force: true });
});

test('dhttp start --workers 2: /workers lists w1 and w2, active, on 127.0.0.1', async () => {
  const list = await workers(cluster.url);
  assert.deepEqual(list.map((w) => w.ID).sort(), ['w1', 'w2']);
  assert.ok(
    list.every((w) => w.Active && w.Address.startsWith('http://127.0.0.1:')),
    JSON.stringify(list),
  );
  const res = await fetch(`${cluster.url}/fibonacci?num=10`);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { result: string }).result, '55');
});

test('the dispatcher reaches its local workers over Unix sockets in a private directory', async () => {
  const list = await workers(cluster.url);
  for (const w of list) {
    assert.ok(w.Socket !== null && basename(w.Socket) === `${w.ID}.sock`, JSON.stringify(w));
    assert.ok((await lstat(w.Socket)).isSocket(), `${w.Socket} is a socket`);
    assert.equal((await lstat(dirname(w.Socket))).mode & 0o077, 0, 'only this user may enter the directory');
  }
  const before = list.reduce((n, w) => n + w.Completed, 0);
  for (let i = 0; i < 10; i++) assert.equal((await fetch(`${cluster.url}/ping`)).status, 200);
  const after = (await workers(cluster.url)).reduce((n, w) => n + w.Completed, 0);
  assert.ok(after - before >= 10, `forwarded requests counted: ${before} → ${after}`);
});

test('worker options reach the children: --www (flag) and DHTTP_THREADS (env)', async () => {
  const res = await fetch(`${cluster.url}/hello.txt`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'hello from the cluster www\n');
  for (const w of await workers(cluster.url)) {
    const status = (await (await fetch(`${w.Address}/status`)).json()) as { id: string; pid: number; pool: { threads: number } };
    assert.equal(status.pool.threads, 2, `${w.ID}: ${JSON.stringify(status)}`);
    assert.equal(status.id, w.ID);
    assert.equal(status.pid, cluster.pids.get(w.ID));
  }
});

test('a SIGKILLed worker is restarted with the same ID and is active again', async () => {
  const before = await workers(cluster.url);
  const old = before.find((w) => w.ID === 'w1') as WorkerEntry;
  const oldPid = cluster.pids.get('w1') as number;
  process.kill(oldPid, 'SIGKILL');
  const line = await cluster.waitFor((l) => l.msg === 'worker restarted' && l.id === 'w1', 15_000);
  assert.notEqual(line.worker_pid, oldPid);
  assert.ok(!isAlive(oldPid) || (await waitGone([oldPid], 2000)).length === 0);
  const exited = cluster.lines.find((l) => l.msg === 'worker exited' && l.id === 'w1');
  assert.equal(exited?.signal, 'SIGKILL');
  const list = await until(
    async () => {
      const l = await workers(cluster.url);
      return l.length === 2 && l.every((w) => w.Active) ? l : undefined;
    },
    10_000,
    'both workers active again',
  );
  const w1 = list.find((w) => w.ID === 'w1') as WorkerEntry;
  assert.notEqual(w1.Address, old.Address, 'the restarted child listens on a new port');
  assert.equal(w1.Address, line.url);
  const status = (await (await fetch(`${w1.Address}/status`)).json()) as { pid: number };
  assert.equal(status.pid, line.worker_pid);
  // Its socket file (left behind by the SIGKILL) was taken over by the new child.
  assert.equal(w1.Socket, old.Socket);
  for (let i = 0; i < 6; i++) assert.equal((await fetch(`${cluster.url}/ping`)).status, 200);
});

test('SIGTERM: the cluster exits 0 and no child is left alive', async () => {
  const pids = [...cluster.pids.values()];
  assert.ok(pids.every(isAlive));
  const socketDir = dirname((await workers(cluster.url))[0].Socket as string);
  const exit = await cluster.stop();
  assert.deepEqual(exit, { code: 0, signal: null });
  await assert.rejects(lstat(socketDir), { code: 'ENOENT' }, 'the socket directory is removed');
  assert.deepEqual(await waitGone(cluster.allPids, 2000), []);
  assert.equal(cluster.count('worker stopped'), 2);
});

test('SIGKILL of the cluster: its children notice the closed lifeline and exit', async (t) => {
  const doomed = await ClusterProcess.start(2);
  try {
    const pids = [...doomed.pids.values()];
    assert.equal(pids.length, 2);
    assert.ok(pids.every(isAlive));
    doomed.kill('SIGKILL');
    await doomed.exited();
    const t0 = performance.now();
    // The design bound: a child drains (≤ --shutdown-timeout) with the lifeline's backstop
    // exit after LIFELINE_GRACE_MS; usually they are gone in well under a second.
    assert.deepEqual(await waitGone(pids, LIFELINE_GRACE_MS + 2000), [], 'orphaned workers still alive');
    t.diagnostic(`children gone ${Math.round(performance.now() - t0)} ms after the cluster died`);
  } finally {
    for (const pid of doomed.allPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('a TMPDIR too long for socket paths: the cluster falls back to loopback TCP and says so', async () => {
  const long = join(await mkdtemp(join(tmpdir(), 'dhttp-long-')), 'x'.repeat(90));
  await mkdir(long, { recursive: true });
  const c = await ClusterProcess.start(1, { env: { ...process.env, TMPDIR: long } });
  try {
    await waitActive(c.url, 1);
    const [w1] = await workers(c.url);
    assert.equal(w1.Socket, null);
    assert.equal((await fetch(`${c.url}/ping`)).status, 200);
    assert.ok(
      c.lines.some((l) => typeof l.msg === 'string' && l.msg.includes('loopback TCP')),
      'the fallback is logged',
    );
  } finally {
    await c.stop();
    await rm(dirname(long), { recursive: true, force: true });
  }
});
