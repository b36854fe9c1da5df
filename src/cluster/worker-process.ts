/**
 * One life of one worker child: spawn it, pass its output through, learn its address
 * from its `{"msg":"listening","url":…}` line, stop it (SIGTERM, then SIGKILL). A restart
 * is a new WorkerProcess with the same ID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface WorkerCommand {
  /** Usually process.execPath. */
  readonly file: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WorkerOutput {
  /** Each complete stdout line of the child, without its newline. */
  stdout(line: string): void;
  stderr(line: string): void;
}

/** The child exited (or could not be spawned) before it printed its listening line. */
export class WorkerStartError extends Error {
  constructor(
    message: string,
    readonly exit: WorkerExit | undefined,
  ) {
    super(message);
    this.name = 'WorkerStartError';
  }
}

/** The listening line, or undefined for any other line. */
export function parseListeningLine(line: string): string | undefined {
  if (!line.startsWith('{') || !line.includes('"listening"')) return undefined;
  try {
    const parsed = JSON.parse(line) as { msg?: unknown; url?: unknown };
    return parsed.msg === 'listening' && typeof parsed.url === 'string' ? parsed.url : undefined;
  } catch {
    return undefined;
  }
}

export class WorkerProcess {
  readonly id: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<WorkerExit>;
  readonly #listening: Promise<string>;
  #exit: WorkerExit | undefined;
  #url: string | undefined;
  #startedAt = performance.now();

  constructor(id: string, command: WorkerCommand, output: WorkerOutput) {
    this.id = id;
    // stdin is the lifeline (lifeline.ts): a pipe this process holds open and never writes.
    // detached: its own process group, so a terminal's Ctrl-C (sent to the whole foreground
    // group) reaches only the cluster, which drains the dispatcher before stopping children.
    this.#child = spawn(command.file, command.args, { env: command.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
      // Spawn failures (ENOENT, EAGAIN) emit 'error' and no 'exit'.
      this.#child.once('error', (err) => {
        if (this.#child.pid !== undefined) return;
        this.#exit = { code: null, signal: null };
        output.stderr(`worker ${id} could not be spawned: ${err.message}`);
        resolve(this.#exit);
      });
    });
    // A closed lifeline write end must not crash the parent when the child is gone.
    this.#child.stdin?.on('error', () => {});

    let onListening: (url: string) => void = () => {};
    this.#listening = new Promise<string>((resolve, reject) => {
      onListening = resolve;
      void this.#exited.then((exit) => {
        reject(new WorkerStartError(`worker ${id} exited before listening (${describeExit(exit)})`, exit));
      });
    });
    this.#listening.catch(() => {}); // observed by whoever awaits listening()

    if (this.#child.stdout) {
      createInterface({ input: this.#child.stdout, crlfDelay: Infinity }).on('line', (line) => {
        if (this.#url === undefined) {
          const url = parseListeningLine(line);
          if (url !== undefined) {
            this.#url = url;
            onListening(url);
          }
        }
        output.stdout(line);
      });
    }
    if (this.#child.stderr) {
      createInterface({ input: this.#child.stderr, crlfDelay: Infinity }).on('line', (line) => output.stderr(line));
    }
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The worker's own address, once it listens. */
  get url(): string | undefined {
    return this.#url;
  }

  get exitStatus(): WorkerExit | undefined {
    return this.#exit;
  }

  get uptimeMs(): number {
    return performance.now() - this.#startedAt;
  }

  /** Resolves with the URL once listening; rejects (WorkerStartError) on exit or timeout first. */
  listening(timeoutMs: number): Promise<string> {
    if (this.#url !== undefined) return Promise.resolve(this.#url);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new WorkerStartError(`worker ${this.id} did not listen within ${timeoutMs} ms`, undefined));
      }, timeoutMs);
      this.#listening.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }

  exited(): Promise<WorkerExit> {
    return this.#exited;
  }

  /** Sends a signal if the child still runs; false when it had already exited. */
  signal(sig: NodeJS.Signals): boolean {
    if (this.#exit !== undefined) return false;
    try {
      return this.#child.kill(sig);
    } catch {
      return false;
    }
  }

  /** SIGTERM (the worker drains), then SIGKILL after `graceMs`; resolves on exit. */
  async stop(graceMs: number): Promise<WorkerExit> {
    if (this.#exit !== undefined) return this.#exit;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Synchronous last resort for process 'exit': no waiting possible there. */
  killNow(): void {
    this.signal('SIGKILL');
  }
}

export function describeExit(exit: WorkerExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
}
