/**
 * A child process whose stdout is pino JSON lines: every line is kept with its `time` as
 * epoch ms, and a test can wait (bounded) for the first line after a moment that matches.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LogLine {
  readonly msg?: string;
  readonly event?: string;
  readonly worker?: string;
  readonly [key: string]: unknown;
}

export interface TimedLine {
  /** The line's own `time`, epoch ms. */
  readonly at: number;
  readonly line: LogLine;
}

export class LogProcess {
  readonly child: ChildProcess;
  readonly lines: TimedLine[] = [];
  readonly #other: string[] = [];
  #waiters: Array<{ test: (l: TimedLine) => boolean; resolve: (l: TimedLine) => void }> = [];

  constructor(child: ChildProcess) {
    this.child = child;
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        this.#keep(text);
        return;
      }
      const at = typeof line.time === 'string' ? Date.parse(line.time) : Date.now();
      const timed = { at, line };
      this.lines.push(timed);
      const matched = this.#waiters.filter((w) => w.test(timed));
      this.#waiters = this.#waiters.filter((w) => !matched.includes(w));
      for (const w of matched) w.resolve(timed);
    });
    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (text) => this.#keep(text));
  }

  #keep(text: string): void {
    this.#other.push(text);
    if (this.#other.length > 200) this.#other.shift();
  }

  /** Non-JSON output and stderr, for failure messages. */
  get otherOutput(): string {
    return this.#other.join('\n');
  }

  /** The first line at or after `since` (epoch ms) that passes `test`, waiting up to `timeoutMs`. */
  waitFor(test: (l: LogLine) => boolean, since: number, timeoutMs: number, what: string): Promise<TimedLine> {
    const ok = (t: TimedLine): boolean => t.at >= since && test(t.line);
    const seen = this.lines.find(ok);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        test: ok,
        resolve: (l: TimedLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output:\n${this.otherOutput}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Lines at or after `since` that pass `test`. */
  since(since: number, test: (l: LogLine) => boolean): TimedLine[] {
    return this.lines.filter((t) => t.at >= since && test(t.line));
  }

  /** Resolves once the process has exited. */
  exited(): Promise<void> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => c.once('exit', () => resolve()));
  }
}
