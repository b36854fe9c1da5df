/**
 * The supervisor over real child processes: tiny `node -e` scripts that print a listening
 * line and then behave (crash, hang, ignore SIGTERM) as each test needs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Supervisor, type SupervisedWorker, type SupervisorOptions } from '../../src/cluster/supervisor.js';
import { parseListeningLine, type WorkerExit } from '../../src/cluster/worker-process.js';
import { isAlive, waitGone } from '../../bench/cluster-process.js';

interface Recorded {
  up: SupervisedWorker[];
  down: { worker: SupervisedWorker; exit: WorkerExit | undefined }[];
  logs: { level: string; obj: Record<string, unknown>; msg: string | undefined }[];
  stderr: string[];
}

/** A child that sets up `behaviour`, then announces `http://127.0.0.1:<fake port>`. */
function script(behaviour: string): string {
  return `
    ${behaviour}
    const port = 20000 + Math.floor(Math.random() * 20000);
    console.log('not json');
    console.log(JSON.stringify({ msg: 'listening', url: 'http://127.0.0.1:' + port, pid: process.pid }));
  `;
}

function supervise(
  scriptFor: (id: string, life: number) => string,
  options: Partial<SupervisorOptions> & { ids: readonly string[] },
): { supervisor: Supervisor; rec: Recorded } {
  const rec: Recorded = { up: [], down: [], logs: [], stderr: [] };
  const lives = new Map<string, number>();
  const log = (level: string) => (obj: object, msg?: string) => rec.logs.push({ level, obj: obj as Record<string, unknown>, msg });
  const supervisor = new Supervisor({
    command: (id) => {
      const life = (lives.get(id) ?? 0) + 1;
      lives.set(id, life);
      return { file: process.execPath, args: ['-e', scriptFor(id, life)], env: process.env };
    },
    output: () => ({ stdout: () => {}, stderr: (line) => rec.stderr.push(line) }),
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    backoff: { initialMs: 50, maxMs: 400 },
    onUp: (w) => rec.up.push(w),
    onDown: (worker, exit) => rec.down.push({ worker, exit }),
    ...options,
  });
  return { supervisor, rec };
}

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('parseListeningLine takes only the listening JSON line', () => {
  assert.equal(parseListeningLine('{"msg":"listening","url":"http://127.0.0.1:5"}'), 'http://127.0.0.1:5');
  assert.equal(parseListeningLine('{"msg":"request","url":"http://127.0.0.1:5","note":"listening"}'), undefined);
  assert.equal(parseListeningLine('listening on http://x'), undefined);
  assert.equal(parseListeningLine('{"msg":"listening"'), undefined);
  assert.equal(parseListeningLine('{"msg":"listening","url":5}'), undefined);
});

test('starts every child, reports each up, and stops them all', async () => {
  const { supervisor, rec } = supervise(() => script('setInterval(() => {}, 1000);'), { ids: ['w1', 'w2'] });
  await supervisor.start();
  assert.deepEqual(rec.up.map((w) => w.id).sort(), ['w1', 'w2']);
  const pids = supervisor.workers().map((w) => w.pid as number);
  assert.equal(pids.length, 2);
  assert.ok(pids.every(isAlive));
  await supervisor.stop();
  assert.deepEqual(await waitGone(pids, 2000), []);
  assert.deepEqual(rec.down.map((d) => [d.worker.id, d.exit]).sort(), [
    ['w1', undefined],
    ['w2', undefined],
  ]);
  assert.equal(rec.logs.filter((l) => l.msg === 'worker stopped').length, 2);
});

test('a crashing child is reported down, restarted with the same ID and a doubling delay', async () => {
  // Lives 1-3 crash after 100 ms; the 4th stays up.
  const { supervisor, rec } = supervise(
    (_id, life) => script(life < 4 ? 'setTimeout(() => process.exit(3), 100);' : 'setInterval(() => {}, 1000);'),
    { ids: ['w1'] },
  );
  await supervisor.start();
  await until(() => rec.up.length === 4);
  assert.ok(rec.up.every((w) => w.id === 'w1'));
  assert.deepEqual(
    rec.up.map((w) => w.restarts),
    [0, 1, 2, 3],
  );
  assert.equal(new Set(rec.up.map((w) => w.pid)).size, 4);
  assert.deepEqual(
    rec.down.map((d) => d.exit?.code),
    [3, 3, 3],
  );
  // Each down carries the address that went away.
  assert.deepEqual(
    rec.down.map((d) => d.worker.url),
    rec.up.slice(0, 3).map((w) => w.url),
  );
  const exited = rec.logs.filter((l) => l.msg === 'worker exited');
  assert.deepEqual(
    exited.map((l) => l.obj.restart_in_ms),
    [50, 100, 200],
  );
  assert.deepEqual(
    exited.map((l) => [l.obj.id, l.obj.code, l.obj.signal]),
    [
      ['w1', 3, null],
      ['w1', 3, null],
      ['w1', 3, null],
    ],
  );
  assert.equal(rec.logs.filter((l) => l.msg === 'worker restarted').length, 3);
  await supervisor.stop();
});

test('a child killed by a signal is restarted too', async () => {
  const { supervisor, rec } = supervise(() => script('setInterval(() => {}, 1000);'), { ids: ['w1'] });
  await supervisor.start();
  const first = rec.up[0];
  process.kill(first.pid as number, 'SIGKILL');
  await until(() => rec.up.length === 2);
  assert.equal(rec.down[0].exit?.signal, 'SIGKILL');
  assert.equal(rec.up[1].id, 'w1');
  assert.notEqual(rec.up[1].pid, first.pid);
  await supervisor.stop();
});

test('a child that ignores SIGTERM is killed after the stop grace', async () => {
  const { supervisor, rec } = supervise(() => script("process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);"), {
    ids: ['w1'],
    stopTimeoutMs: 300,
  });
  await supervisor.start();
  const pid = rec.up[0].pid as number;
  const t0 = performance.now();
  await supervisor.stop();
  assert.ok(performance.now() - t0 >= 250);
  assert.equal(rec.logs.find((l) => l.msg === 'worker stopped')?.obj.signal, 'SIGKILL');
  assert.deepEqual(await waitGone([pid], 2000), []);
});

test('a child that never listens is killed after the start timeout and retried', async () => {
  const { supervisor, rec } = supervise(
    (_id, life) => (life === 1 ? 'setInterval(() => {}, 1000);' : script('setInterval(() => {}, 1000);')),
    // Long enough for a child that does listen to start on a loaded machine (Node 24 starts slower).
    { ids: ['w1'], startTimeoutMs: 2000 },
  );
  try {
    await supervisor.start();
    assert.equal(rec.up.length, 1);
    assert.equal(rec.up[0].restarts, 1);
    assert.ok(rec.logs.some((l) => l.msg === 'worker did not start'));
    assert.equal(rec.down.length, 0, 'a child that never listened was never up');
  } finally {
    await supervisor.stop();
  }
});

test('exit code 2 before listening (a configuration error) is fatal, not retried', async () => {
  let fatal: string | undefined;
  const { supervisor, rec } = supervise(() => 'process.exit(2)', { ids: ['w1'], onFatal: (id) => (fatal = id) });
  await assert.rejects(supervisor.start(), /configuration error/);
  assert.equal(fatal, 'w1');
  assert.equal(rec.logs.filter((l) => l.msg === 'worker exited').length, 0);
  await supervisor.stop();
});
