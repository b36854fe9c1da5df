/**
 * Two dispatchers over the same workers - the shape of a Kubernetes Service with two
 * dispatcher replicas. Every worker registers with both (`--register d1,d2`), both see the
 * same workers and the same states, and when one dispatcher is SIGKILLed under load a
 * client that retries connection failures on the other loses no request. The documented
 * limit: a job in flight on the killed dispatcher fails with it; the client sends it again
 * to the other and, seeded, gets the same answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from '../helpers/load-client.js';
import { startProcess, startWorker, type StartedProcess } from '../helpers/processes.js';

interface Row {
  ID: string;
  Address: string;
  Active: boolean;
}

const TOKEN_ENV = { DHTTP_CLUSTER_TOKEN: 'two-dispatchers-test-token' };

async function rows(url: string): Promise<Row[]> {
  return (await (await fetch(`${url}/workers`)).json()) as Row[];
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const view = (r: readonly Row[]): string[] => r.map((w) => `${w.ID} ${w.Address} ${w.Active}`).sort();

describe('two dispatchers over the same workers', { timeout: 120_000 }, () => {
  let d1: StartedProcess;
  let d2: StartedProcess;
  const workers: StartedProcess[] = [];

  before(async () => {
    const dispatcherArgs = ['--host', '127.0.0.1', '--port', '0', '--health-interval', '250ms', '--log-level', 'warn'];
    d1 = await startProcess('dispatcher', dispatcherArgs, { env: TOKEN_ENV });
    d2 = await startProcess('dispatcher', dispatcherArgs, { env: TOKEN_ENV });
    for (const id of ['w1', 'w2', 'w3']) {
      workers.push(
        await startWorker(
          ['--threads', '1', '--id', id, '--register', `${d1.url},${d2.url}`, '--register-interval', '300ms', '--log-level', 'warn'],
          {
            env: TOKEN_ENV,
          },
        ),
      );
    }
  });

  after(async () => {
    await Promise.all([d1, d2, ...workers].filter((p) => p !== undefined).map((p) => p.stop('SIGKILL')));
  });

  it('every worker registers with both; both see the same workers and states', async () => {
    await until('3 active workers on both', async () => {
      const [a, b] = await Promise.all([rows(d1.url), rows(d2.url)]);
      return a.length === 3 && b.length === 3 && [...a, ...b].every((w) => w.Active);
    });
    assert.deepEqual(view(await rows(d1.url)), view(await rows(d2.url)));
    const killed = workers[2];
    await killed.stop('SIGKILL');
    await until('w3 inactive on both', async () => {
      const [a, b] = await Promise.all([rows(d1.url), rows(d2.url)]);
      return [a, b].every((r) => r.find((w) => w.ID === 'w3')?.Active === false);
    });
    assert.deepEqual(view(await rows(d1.url)), view(await rows(d2.url)));
    workers[2] = await startWorker(
      ['--threads', '1', '--id', 'w3', '--register', `${d1.url},${d2.url}`, '--register-interval', '300ms', '--log-level', 'warn'],
      {
        env: TOKEN_ENV,
      },
    );
    await until('w3 back on both', async () => {
      const [a, b] = await Promise.all([rows(d1.url), rows(d2.url)]);
      return [a, b].every((r) => r.filter((w) => w.Active).length === 3);
    });
  });

  it('one dispatcher SIGKILLed under load: 0 failed requests for a client that retries connection failures', async () => {
    const job = '/montecarlo?points=40000000&seed=7';
    const reference = (await (await fetch(`${d2.url}${job}`)).json()) as { pi: number; inside_count: number };
    const running = runLoad({
      urls: [d1.url, d2.url],
      targets: ['/fibonacci?num=40', '/ping', '/hash?text=ha', '/sleep?seconds=0.05'],
      connections: 8,
      durationMs: 5000,
    });
    await sleep(1000);
    // A job on d1 when it dies: it fails with it (the documented limit)...
    const onKilled = fetch(`${d1.url}${job}`).then(
      (r) => `answered ${r.status}`,
      (err: Error) => `failed: ${(err.cause as { code?: string } | undefined)?.code ?? err.message}`,
    );
    // Killed while the job runs there (seen on its /status), not after it finished.
    const deadline = Date.now() + 10_000;
    while (((await (await fetch(`${d1.url}/status`)).json()) as { jobs: unknown[] }).jobs.length === 0) {
      if (Date.now() > deadline) throw new Error('the job never showed as running on d1');
      await sleep(5);
    }
    const killedAt = Date.now();
    await d1.stop('SIGKILL');
    const jobOutcome = await onKilled;
    // ...and the client sends it again to the other dispatcher: same seed, same answer.
    const retried = (await (await fetch(`${d2.url}${job}`)).json()) as { pi: number; inside_count: number };
    const { records } = await running;
    const failed = records.filter((r) => r.status !== 200);
    const afterKill = records.filter((r) => r.start + r.ms >= killedAt);
    console.log(
      `two dispatchers: ${records.length} requests (${afterKill.length} ended after d1 was SIGKILLed), ${failed.length} failed, ` +
        `${records.reduce((n, r) => n + r.connectRetries, 0)} sent again to d2 after a connection failure, ` +
        `slowest ${Math.round(Math.max(...records.map((r) => r.ms)))} ms; the job in flight on d1 ${jobOutcome}, retried on d2: ` +
        `pi ${retried.pi} (${retried.pi === reference.pi ? 'identical' : 'DIFFERENT'})`,
    );
    assert.ok(afterKill.length > 50, `load went on after the kill: ${afterKill.length}`);
    assert.deepEqual(failed, []);
    assert.match(jobOutcome, /^failed/);
    assert.equal(retried.inside_count, reference.inside_count);
  });
});
