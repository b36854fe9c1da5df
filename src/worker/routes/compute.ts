/**
 * Load and compute endpoints: /simulate (CPU in the pool), /sleep (timers only),
 * /loadtest (many pool tasks) and the JSON compute API.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { httpError } from '../../common/errors.js';
import { readJson } from '../body.js';
import { intParam, numberParam, rangeText, textParam } from '../../jobs/params.js';
import { runBounded } from '../run-bounded.js';
import type { RouteDef, RouteGroup, WorkerContext } from '../context.js';
import type { HttpRequest, HttpResponse } from '../../server/types.js';

export const SIMULATE_SECONDS = Object.freeze({ min: 0, max: 60, minExclusive: true });
export const TASK_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const SLEEP_SECONDS = Object.freeze({ min: 0, max: 60 });
export const LOADTEST_TASKS = Object.freeze({ min: 1, max: 1000 });
export const LOADTEST_SLEEP = Object.freeze({ min: 0, max: 10 });
/** |number| bound of the compute API: its square stays an exactly printable double. */
export const COMPUTE_MAX_ABS = 1e12;
export const COMPUTE_MAX_BODY = 64 * 1024;

function computeApi(ctx: WorkerContext, intensive: boolean): RouteDef {
  return {
    methods: ['POST'],
    path: `/api/v1/compute/${intensive ? 'intensive' : 'fast'}`,
    maxBody: COMPUTE_MAX_BODY,
    handler: async (req: HttpRequest, res: HttpResponse) => {
      const body = await readJson(req);
      const n = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).number : undefined;
      if (typeof n !== 'number' || !Number.isFinite(n) || Math.abs(n) > COMPUTE_MAX_ABS) {
        throw httpError('INVALID_BODY', `body must be {"number":N} with N a finite number in [-1e12, 1e12]`);
      }
      const result = intensive ? await ctx.pool.run('compute', { number: n }, { signal: req.signal }) : n * n;
      res.json(200, {
        request_id: req.id,
        result,
        latency_us: Math.round((performance.now() - req.startedAt) * 1000),
        timestamp: new Date().toISOString(),
      });
    },
    doc: {
      summary: intensive ? 'number² computed in the compute pool.' : 'number² computed inline.',
      body: `JSON {"number":N}, N finite with |N| ≤ 1e12; at most ${COMPUTE_MAX_BODY} bytes`,
    },
  };
}

export const computeRoutes: RouteGroup = (ctx): RouteDef[] => [
  {
    methods: ['GET'],
    path: '/simulate',
    handler: async (req, res) => {
      const seconds = numberParam(req, 'seconds', SIMULATE_SECONDS);
      const task = textParam(req, 'task', { default: 'simulate', pattern: TASK_NAME, describe: '1-64 characters of [A-Za-z0-9_-]' });
      const elapsed = await ctx.pool.run('simulate', { seconds, task }, { signal: req.signal });
      res.json(200, { task, seconds, elapsed_ms: Math.round(elapsed) });
    },
    doc: {
      summary: 'Busy CPU work for `seconds` in the compute pool (503 when its queue is full, 504 past --task-timeout).',
      params: {
        seconds: `number in ${rangeText(SIMULATE_SECONDS, true)} (required)`,
        task: 'label, 1-64 characters of [A-Za-z0-9_-], default "simulate"',
      },
    },
  },
  {
    methods: ['GET'],
    path: '/sleep',
    handler: async (req, res) => {
      const seconds = numberParam(req, 'seconds', SLEEP_SECONDS);
      const start = performance.now();
      // A timer, not a thread: thousands of sleepers cost nothing; a client that leaves ends its sleep.
      await sleep(seconds * 1000, undefined, { signal: req.signal });
      res.json(200, { seconds, elapsed_ms: Math.round(performance.now() - start) });
    },
    doc: { summary: 'Waits without using CPU.', params: { seconds: `number in ${rangeText(SLEEP_SECONDS)} (required)` } },
  },
  {
    methods: ['GET'],
    path: '/loadtest',
    handler: async (req, res) => {
      const tasks = intParam(req, 'tasks', LOADTEST_TASKS);
      const seconds = numberParam(req, 'sleep', LOADTEST_SLEEP);
      const { threads } = ctx.pool.stats();
      const start = performance.now();
      // At most `threads` tasks of this request in the pool at a time: a big loadtest
      // keeps the pool busy without taking every queue slot from other clients.
      await runBounded(
        tasks,
        threads,
        async (i, signal) => {
          await ctx.pool.run('simulate', { seconds, task: `loadtest-${i}` }, { signal });
        },
        req.signal,
      );
      res.json(200, { tasks, sleep: seconds, elapsed_ms: Math.round(performance.now() - start), threads });
    },
    doc: {
      summary: 'Runs `tasks` pool tasks each busy `sleep` seconds, at most --threads at once; reports the elapsed time.',
      params: { tasks: `integer in ${rangeText(LOADTEST_TASKS)} (required)`, sleep: `number in ${rangeText(LOADTEST_SLEEP)} (required)` },
    },
  },
  computeApi(ctx, false),
  computeApi(ctx, true),
];
