/**
 * Container-aware defaults for real: `dhttp start` inside a cgroup whose CPU quota is one
 * CPU (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us` where the cpu controller is on v1 as
 * on hybrid hosts) runs one worker with one compute thread. The test makes the cgroup
 * itself, as root, and removes it; elsewhere it skips, saying why.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI_ENTRY } from '../../bench/cluster-process.js';

interface Cgroup {
  readonly dir: string;
  readonly kind: string;
}

/** Makes a cgroup limited to one CPU, or says why it cannot. */
async function oneCpuCgroup(): Promise<Cgroup | string> {
  if (process.getuid?.() !== 0) return 'not root';
  const name = `dhttp-cpu-test-${process.pid}-${Date.now()}`;
  const v2 = '/sys/fs/cgroup';
  const controllers = existsSync(`${v2}/cgroup.controllers`) ? readFileSync(`${v2}/cgroup.controllers`, 'utf8') : '';
  try {
    if (controllers.split(/\s+/).includes('cpu')) {
      const subtree = readFileSync(`${v2}/cgroup.subtree_control`, 'utf8');
      if (!subtree.split(/\s+/).includes('cpu')) await writeFile(`${v2}/cgroup.subtree_control`, '+cpu');
      await mkdir(`${v2}/${name}`);
      await writeFile(`${v2}/${name}/cpu.max`, '100000 100000');
      return { dir: `${v2}/${name}`, kind: 'cgroup v2 cpu.max "100000 100000"' };
    }
    for (const v1 of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct']) {
      if (!existsSync(`${v1}/cpu.cfs_quota_us`)) continue;
      await mkdir(`${v1}/${name}`);
      await writeFile(`${v1}/${name}/cpu.cfs_period_us`, '100000');
      await writeFile(`${v1}/${name}/cpu.cfs_quota_us`, '100000');
      return { dir: `${v1}/${name}`, kind: 'cgroup v1 cpu.cfs_quota_us 100000 / cpu.cfs_period_us 100000' };
    }
  } catch (err) {
    return `cannot make a cgroup: ${(err as Error).message}`;
  }
  return 'no cgroup cpu controller mounted';
}

/** The children die with the cluster (lifeline); the cgroup can be removed once empty. */
async function removeWhenEmpty(dir: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Starts `dhttp start` already inside `dir`: a shell joins the cgroup, then execs node. */
function startInCgroup(dir: string, env: NodeJS.ProcessEnv) {
  const execArgv = CLI_ENTRY.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      'echo $$ > "$0/cgroup.procs" && exec "$@"',
      dir,
      process.execPath,
      ...execArgv,
      CLI_ENTRY,
      'start',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: fileURLToPath(new URL('../../', import.meta.url)) },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const listening = new Promise<{ url: string; workers: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`exited ${code}; stderr: ${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.includes('"listening"') || !line.includes('"cluster"')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as { url: string; workers: number });
    });
  });
  return { child, listening };
}

test('dhttp start in a cgroup limited to one CPU runs one worker with one thread', { timeout: 60_000 }, async (t) => {
  if (availableParallelism() < 2) return t.skip('the host has one CPU: a one-CPU quota would change nothing');
  const cgroup = await oneCpuCgroup();
  if (typeof cgroup === 'string') return t.skip(`cgroup CPU quota test skipped: ${cgroup}`);
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('DHTTP_')) delete env[k];
  const { child, listening } = startInCgroup(cgroup.dir, env);
  try {
    const { url: base, workers: planned } = await listening;
    const members = readFileSync(`${cgroup.dir}/cgroup.procs`, 'utf8').trim().split('\n');
    assert.ok(members.includes(String(child.pid)), `pid ${child.pid} is in ${cgroup.dir}`);
    // Workers are listed as they come up: wait for as many as the cluster said it runs.
    let workers: { ID: string; Address: string; Active: boolean }[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      workers = (await (await fetch(`${base}/workers`)).json()) as typeof workers;
      if (workers.length >= planned && workers.every((w) => w.Active)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const status = (await (await fetch(`${workers[0].Address}/status`)).json()) as { pool: { threads: number } };
    console.log(
      `${cgroup.kind}: host CPUs ${availableParallelism()}, dhttp start ran ${workers.length} worker(s) with ${status.pool.threads} thread(s) each`,
    );
    assert.equal(planned, 1, 'workers planned by dhttp start');
    assert.equal(workers.length, 1, JSON.stringify(workers));
    assert.equal(status.pool.threads, 1);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(null)));
    await removeWhenEmpty(cgroup.dir);
  }
});
