/**
 * `dhttp start` as a real child process, read through its log: the dispatcher URL from the
 * first listening line, each worker's current PID from the supervisor's
 * `worker started` / `worker restarted` lines. Used by bench/zero-loss.ts and the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Compiled (dist/bench/…) runs dist/src/cli/main.js; from source, src/cli/main.ts under tsx. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
export const CLI_ENTRY = fileURLToPath(new URL(`../src/cli/main${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url));

export interface LogLine {
  readonly msg?: string;
  readonly [key: string]: unknown;
}

export interface ClusterProcessOptions {
  /** Arguments after `start`, e.g. ['--workers', '3']. `--port 0` is added unless given. */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Max wait for the listening line and for every worker's first start. @default 30000 */
  startTimeoutMs?: number;
  /** Copy the cluster's output here (for debugging). @default none */
  echo?: NodeJS.WritableStream;
}

type Waiter = { test: (line: LogLine) => boolean; resolve: (line: LogLine) => void };

export class ClusterProcess {
  readonly child: ChildProcess;
  /** Every JSON line seen so far. */
  readonly lines: LogLine[] = [];
  /** Non-JSON stdout and all stderr, for failure messages. */
  readonly otherOutput: string[] = [];
  /** Current PID of each worker ID. */
  readonly pids = new Map<string, number>();
  /** Every PID any worker ever had. */
  readonly allPids = new Set<number>();
  url = '';
  #waiters: Waiter[] = [];
  /** Cluster-role lines by msg: count() runs inside waiters, once per line, so it must not scan. */
  readonly #clusterMsgs = new Map<string, number>();
  readonly #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(args: readonly string[], options: ClusterProcessOptions) {
    const execArgv = FROM_SOURCE ? ['--import', 'tsx'] : [];
    this.child = spawn(process.execPath, [...execArgv, CLI_ENTRY, 'start', ...args], {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    const echo = options.echo;
    createInterface({ input: this.child.stdout!, crlfDelay: Infinity }).on('line', (text) => {
      echo?.write(`${text}\n`);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        this.otherOutput.push(text);
        return;
      }
      this.#record(line);
    });
    createInterface({ input: this.child.stderr!, crlfDelay: Infinity }).on('line', (text) => {
      echo?.write(`${text}\n`);
      this.otherOutput.push(text);
    });
  }

  /** Starts the cluster; resolves once it listens and `workers` children have started. */
  static async start(workers: number, options: ClusterProcessOptions = {}): Promise<ClusterProcess> {
    const args = [...(options.args ?? [])];
    if (!args.some((a) => a === '--port' || a.startsWith('--port='))) args.push('--port', '0');
    if (!args.some((a) => a === '--workers' || a.startsWith('--workers='))) args.push('--workers', String(workers));
    const cluster = new ClusterProcess(args, options);
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    try {
      const listening = await cluster.waitFor((l) => l.msg === 'listening' && l.role === 'cluster', timeoutMs);
      cluster.url = String(listening.url);
      await cluster.waitFor(() => cluster.pids.size >= workers, timeoutMs);
    } catch (err) {
      cluster.kill('SIGKILL');
      throw err;
    }
    return cluster;
  }

  #record(line: LogLine): void {
    this.lines.push(line);
    if (line.role === 'cluster' && typeof line.msg === 'string')
      this.#clusterMsgs.set(line.msg, (this.#clusterMsgs.get(line.msg) ?? 0) + 1);
    if (line.role === 'cluster' && (line.msg === 'worker started' || line.msg === 'worker restarted')) {
      this.pids.set(String(line.id), Number(line.worker_pid));
      this.allPids.add(Number(line.worker_pid));
    }
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Resolves with the first line (past or future) passing `test`; `test` may also look at this object. */
  waitFor(test: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for a cluster log line; other output:\n${this.otherOutput.slice(-20).join('\n')}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
      void this.#exited.then(({ code, signal }) => {
        if (!this.#waiters.includes(waiter)) return;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new Error(`cluster exited (code ${code}, signal ${signal}) while waiting; output:\n${this.otherOutput.slice(-20).join('\n')}`),
        );
      });
    });
  }

  /** The cluster's own log lines with this msg. */
  count(msg: string): number {
    return this.#clusterMsgs.get(msg) ?? 0;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.#exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Whether a process with this PID runs (signal 0 probes without signalling). A zombie -
 * exited, not yet reaped by whoever adopted it - counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) S …"; comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

/** Polls until none of `pids` is alive; resolves with those still alive at the deadline. */
export async function waitGone(pids: Iterable<number>, timeoutMs: number): Promise<number[]> {
  const list = [...pids];
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const alive = list.filter(isAlive);
    if (alive.length === 0 || performance.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 50));
  }
}
