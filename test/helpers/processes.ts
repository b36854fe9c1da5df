/**
 * Spawns real dhttp processes for integration tests: the compiled CLI when the tests run
 * from dist/, else the TypeScript sources through tsx. Waits (bounded) for the JSON
 * "listening" line on stdout, keeps the last output lines for assertions and failure
 * messages, and never leaves a child behind: stop() escalates to SIGKILL, and every child
 * still alive when the test process exits is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const COMPILED = import.meta.url.endsWith('.js');
/** The project root (file URL with a trailing slash). */
export const PROJECT_ROOT = new URL(COMPILED ? '../../../' : '../../', import.meta.url);

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface StartOptions {
  /** @default 15000 */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** @default the project root */
  cwd?: string;
  /** Registers stop() with the test's after() hook. */
  context?: { after(fn: () => unknown): void };
}

export interface StartedProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** The JSON "listening" line. */
  readonly listening: Record<string, unknown>;
  /** Recent stdout lines (at most 5000). */
  readonly lines: string[];
  /** Recent stderr text. */
  stderr(): string;
  /** Signals the process and waits for its exit (SIGKILL after 10 s). */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function cliCommand(): string[] {
  const root = fileURLToPath(PROJECT_ROOT);
  return COMPILED ? [`${root}dist/src/cli/main.js`] : ['--import', 'tsx', `${root}src/cli/main.ts`];
}

/** `dhttp <subcommand> ...args`, resolved once it prints its listening line. */
export function startProcess(subcommand: string, args: readonly string[], options: StartOptions = {}): Promise<StartedProcess> {
  const proc = spawn(process.execPath, [...cliCommand(), subcommand, ...args], {
    cwd: options.cwd ?? fileURLToPath(PROJECT_ROOT),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  const lines: string[] = [];
  let errText = '';
  let partial = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
  });
  proc.stderr?.setEncoding('utf8').on('data', (s: string) => {
    errText = (errText + s).slice(-20_000);
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  options.context?.after(() => stop());

  return new Promise<StartedProcess>((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      void stop('SIGKILL');
      reject(new Error(`dhttp ${subcommand} ${args.join(' ')}: ${why}\nstdout:\n${lines.slice(-20).join('\n')}\nstderr:\n${errText}`));
    };
    const timer = setTimeout(() => fail(`no listening line within ${options.timeoutMs ?? 15_000} ms`), options.timeoutMs ?? 15_000);
    void exited.then(({ code, signal }) => {
      if (!started) fail(`exited early (code ${code}, signal ${signal})`);
    });
    let started = false;
    proc.stdout?.setEncoding('utf8').on('data', (s: string) => {
      const parts = (partial + s).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 5000) lines.splice(0, lines.length - 5000);
        if (started || !line.includes('"listening"')) continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (msg.msg !== 'listening' || typeof msg.url !== 'string') continue;
        started = true;
        clearTimeout(timer);
        const url = msg.url;
        resolve({
          url,
          port: Number(new URL(url).port),
          pid: proc.pid as number,
          proc,
          listening: msg,
          lines,
          stderr: () => errText,
          stop,
        });
      }
    });
  });
}

/** `dhttp worker` on an ephemeral 127.0.0.1 port. */
export function startWorker(args: readonly string[] = [], options: StartOptions = {}): Promise<StartedProcess> {
  return startProcess('worker', ['--host', '127.0.0.1', '--port', '0', ...args], options);
}
