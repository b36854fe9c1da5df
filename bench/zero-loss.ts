/**
 * The zero-loss rolling-restart check: a closed-loop keep-alive load against a real
 * `dhttp start --workers N` while each worker in turn is SIGKILLed and restarted by the
 * supervisor. Passes with 0 failed requests: no non-2xx, no connection error at the client.
 *
 *   node --import tsx bench/zero-loss.ts [--duration 10s] [--kill-every 2.5s] [--workers 3]
 *                                        [--connections 20] [--path /fibonacci?num=200] [--verbose]
 *
 * Prints one JSON object; exits 1 when a request failed or no worker was restarted.
 * test/cluster/zero-loss.test.ts runs a shorter version of the same function.
 */
import { parseArgs } from 'node:util';
import { bench } from '../src/cli/bench/bench.js';
import { parseDuration } from '../src/config/units.js';
import { ClusterProcess } from './cluster-process.js';
import { isEntryPoint } from '../src/common/entry-point.js';

export interface ZeroLossOptions {
  /** @default 3 */
  workers?: number;
  /** Client keep-alive connections, each with one request in flight. @default 20 */
  connections?: number;
  /** Length of the load. @default 10000 */
  durationMs?: number;
  /** A worker is SIGKILLed every this often (never within the last 500 ms). @default 2500 */
  killEveryMs?: number;
  /** @default '/fibonacci?num=200' */
  path?: string;
  /** Extra `dhttp start` arguments. */
  args?: readonly string[];
  /** Echo the cluster's output here. */
  echo?: NodeJS.WritableStream;
}

export interface ZeroLossResult {
  readonly durationMs: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Non-2xx responses plus transport errors; 0 is the pass mark. */
  readonly failures: number;
  readonly failuresByStatus: Readonly<Record<string, number>>;
  readonly failuresByKind: Readonly<Record<string, number>>;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly kills: readonly { id: string; pid: number; atMs: number }[];
  /** `worker restarted` lines the cluster logged by the end. */
  readonly restarts: number;
  /** The dispatcher's `retry` and `hold` events: how the loss was avoided. */
  readonly retries: number;
  readonly holds: number;
  /** For up to 10 requests the dispatcher failed: its log events (retries, hold, failure). */
  readonly failedRequests: readonly (readonly string[])[];
  /** The cluster's exit after SIGTERM at the end (0 expected). */
  readonly clusterExitCode: number | null;
}

export const ZERO_LOSS_DEFAULTS = Object.freeze({
  workers: 3,
  connections: 20,
  durationMs: 10_000,
  killEveryMs: 2500,
  path: '/fibonacci?num=200',
} satisfies Omit<Required<ZeroLossOptions>, 'args' | 'echo'>);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls the dispatcher's /workers until `count` workers are active (bounded). */
export async function waitActive(url: string, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const res = await fetch(`${url}/workers`);
      last = await res.text();
      const list = JSON.parse(last) as { Active?: boolean }[];
      if (list.filter((w) => w.Active === true).length >= count) return;
    } catch (err) {
      last = String(err);
    }
    await sleep(100);
  }
  throw new Error(`fewer than ${count} active workers after ${timeoutMs} ms: ${last}`);
}

export async function zeroLoss(options: ZeroLossOptions = {}): Promise<ZeroLossResult> {
  const o = { ...ZERO_LOSS_DEFAULTS, ...options };
  const cluster = await ClusterProcess.start(o.workers, { args: o.args, echo: o.echo });
  const kills: { id: string; pid: number; atMs: number }[] = [];
  let clusterExitCode: number | null = null;
  try {
    await waitActive(cluster.url, o.workers);
    const t0 = performance.now();
    let stopKilling = false;
    const lastKillMs = o.durationMs - 500;
    const killed = new Set<number>();
    /**
     * The worker's current process: one not killed yet. A worker killed before may still be
     * restarting, or its `worker restarted` line not yet read (a loaded machine): waited for,
     * up to the last moment a kill may happen.
     */
    const currentPid = async (id: string): Promise<number | undefined> => {
      for (;;) {
        const pid = cluster.pids.get(id);
        if (pid !== undefined && !killed.has(pid)) return pid;
        if (stopKilling || performance.now() - t0 > lastKillMs) return undefined;
        await sleep(20);
      }
    };
    const killer = (async () => {
      // Bounded by the duration: one kill per interval.
      for (let k = 0; !stopKilling; k++) {
        const at = (k + 1) * o.killEveryMs;
        if (at > lastKillMs) return;
        await sleep(Math.max(0, at - (performance.now() - t0)));
        if (stopKilling) return;
        const id = `w${(k % o.workers) + 1}`;
        const pid = await currentPid(id);
        if (pid === undefined) continue;
        try {
          process.kill(pid, 'SIGKILL');
          killed.add(pid);
          kills.push({ id, pid, atMs: Math.round(performance.now() - t0) });
        } catch {
          // Exited on its own meanwhile: nothing to kill this round.
        }
      }
    })();
    const result = await bench({
      url: `${cluster.url}${o.path}`,
      connections: o.connections,
      requests: 0,
      duration: o.durationMs,
      warmup: 0,
      method: 'GET',
      body: undefined,
      header: [],
      threads: 1,
      rate: 0,
      pipeline: 1,
      timeout: 10_000,
      json: true,
    });
    stopKilling = true;
    await killer;
    // Every killed worker comes back (bounded: the backoff stays far below this).
    await cluster.waitFor(() => cluster.count('worker restarted') >= kills.length, 15_000).catch(() => undefined);
    const nonSuccess = Object.entries(result.statuses).filter(([s]) => !s.startsWith('2'));
    const failuresByStatus = Object.fromEntries(nonSuccess);
    const transport = Object.values(result.errors.byKind).reduce((a, b) => a + b, 0);
    const restarts = cluster.count('worker restarted');
    const events = (name: string): number => cluster.lines.filter((l) => l.event === name).length;
    const failedIds = cluster.lines
      .filter((l) => l.event === 'upstream_failed' || l.event === 'no_worker' || l.event === 'upstream_failed_mid_response')
      .map((l) => l.request_id)
      .slice(0, 10);
    const failedRequests = failedIds.map((id) =>
      cluster.lines
        .filter((l) => l.request_id === id)
        .map((l) => `${String(l.time)} ${String(l.event)} ${String(l.worker ?? '')} ${String(l.kind ?? '')} ${String(l.error ?? '')}`),
    );
    const exit = await cluster.stop();
    clusterExitCode = exit.code;
    return {
      durationMs: Math.round(result.durationMs),
      requests: result.requests,
      requestsPerSecond: Math.round(result.requestsPerSecond),
      failures: nonSuccess.reduce((a, [, n]) => a + n, 0) + transport,
      failuresByStatus,
      failuresByKind: result.errors.byKind,
      latencyP99Ms: result.latencyUs.p99 / 1000,
      latencyMaxMs: result.latencyUs.max / 1000,
      kills,
      restarts,
      retries: events('retry'),
      holds: events('hold'),
      failedRequests,
      clusterExitCode,
    };
  } finally {
    if (clusterExitCode === null) await cluster.stop();
  }
}

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new Error(`invalid --${flag} ${JSON.stringify(text)}: must be a duration like 10s or 2500ms`);
  return ms;
}

if (isEntryPoint(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10s' },
      'kill-every': { type: 'string', default: '2.5s' },
      workers: { type: 'string', default: String(ZERO_LOSS_DEFAULTS.workers) },
      connections: { type: 'string', default: String(ZERO_LOSS_DEFAULTS.connections) },
      path: { type: 'string', default: ZERO_LOSS_DEFAULTS.path },
      verbose: { type: 'boolean', default: false },
    },
  });
  const result = await zeroLoss({
    durationMs: duration('duration', values.duration),
    killEveryMs: duration('kill-every', values['kill-every']),
    workers: Number(values.workers),
    connections: Number(values.connections),
    path: values.path,
    echo: values.verbose ? process.stderr : undefined,
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.failures === 0 && result.restarts > 0 ? 0 : 1;
}
