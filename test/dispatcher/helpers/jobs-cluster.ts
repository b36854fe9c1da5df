/**
 * Real `dhttp worker` processes behind an in-process dispatcher (the real app, with the
 * jobs routes), for the job tests. The dispatcher's log events are recorded so tests can
 * read the "sending chunk" / "chunk failed on a worker; retrying" lines.
 */
import { parseAs } from '../../../src/cli/options.js';
import { startDispatcher, type Dispatcher } from '../../../src/dispatcher/app.js';
import { registerJobRoutes } from '../../../src/dispatcher/jobs/index.js';
import { startWorker, type StartedProcess } from '../../helpers/processes.js';

export interface LogEvent extends Record<string, unknown> {
  msg?: string;
}

export interface JobsCluster {
  readonly url: string;
  readonly dispatcher: Dispatcher;
  readonly events: LogEvent[];
  close(): Promise<void>;
}

/** `count` workers with one compute thread each (2 shared cores), started in parallel. */
export async function startWorkers(count: number, args: readonly string[] = []): Promise<StartedProcess[]> {
  return Promise.all(
    Array.from({ length: count }, () => startWorker(['--threads', '1', '--log-level', 'warn', ...args], { timeoutMs: 30_000 })),
  );
}

/** A dispatcher over `workers` (already up: no wait for the first health round). */
export async function startJobsDispatcher(workers: readonly { url: string }[], args: readonly string[] = []): Promise<JobsCluster> {
  const config = parseAs('dispatcher', [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--upstreams',
    workers.map((w) => w.url).join(','),
    '--health-interval',
    '250ms',
    ...args,
  ]);
  const events: LogEvent[] = [];
  const record =
    (level: string) =>
    (obj: object, msg?: string): void => {
      events.push({ ...(obj as Record<string, unknown>), level, msg });
    };
  const dispatcher = await startDispatcher(config, {
    logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
    jobs: registerJobRoutes,
    defaultMetrics: false,
  });
  for (const u of dispatcher.upstreams.list()) u.markUp();
  return { url: dispatcher.url, dispatcher, events, close: () => dispatcher.close() };
}

/** The events of one kind (by message), e.g. 'chunk failed on a worker; retrying'. */
export function eventsWith(events: readonly LogEvent[], msg: string): LogEvent[] {
  return events.filter((e) => e.msg === msg);
}
