/** /fibonacci, /random, /timestamp. */
import { intParam, rangeText } from '../../jobs/params.js';
import { fibonacci } from '../tasks/fibonacci.js';
import { httpError } from '../../common/errors.js';
import type { RouteDef, RouteGroup } from '../context.js';
import { randomInts } from './random-ints.js';

export const FIBONACCI_RANGE = Object.freeze({ min: 0, max: 10_000 });
/** Above this F(n) goes to the pool: still quick, but no longer free for the event loop. */
export const FIBONACCI_INLINE_MAX = 1000;
export const RANDOM_COUNT = Object.freeze({ min: 1, max: 10_000, default: 1 });
export const RANDOM_BOUND = Object.freeze({ min: -1e15, max: 1e15 });

export const numberRoutes: RouteGroup = (ctx): RouteDef[] => [
  {
    methods: ['GET'],
    path: '/fibonacci',
    handler: async (req, res) => {
      const num = intParam(req, 'num', FIBONACCI_RANGE);
      const result = num <= FIBONACCI_INLINE_MAX ? fibonacci(num) : await ctx.pool.run('fibonacci', { n: num }, { signal: req.signal });
      await ctx.compression.json(req, res, 200, { num, result });
    },
    doc: { summary: 'F(num) as an exact decimal string.', params: { num: `integer in ${rangeText(FIBONACCI_RANGE)} (required)` } },
  },
  {
    methods: ['GET'],
    path: '/random',
    handler: (req, res) => {
      const count = intParam(req, 'count', RANDOM_COUNT);
      const min = intParam(req, 'min', { ...RANDOM_BOUND, default: 0 });
      const max = intParam(req, 'max', { ...RANDOM_BOUND, default: 100 });
      if (min > max) throw httpError('INVALID_PARAM', `min must be ≤ max (got min=${min}, max=${max})`);
      return ctx.compression.json(req, res, 200, { numbers: randomInts(count, min, max) });
    },
    doc: {
      summary: 'count integers drawn uniformly from [min, max].',
      params: {
        count: `integer in ${rangeText(RANDOM_COUNT)}, default 1`,
        min: `integer in ${rangeText(RANDOM_BOUND)}, default 0, ≤ max`,
        max: `integer in ${rangeText(RANDOM_BOUND)}, default 100`,
      },
    },
  },
  {
    methods: ['GET'],
    path: '/timestamp',
    handler: (_req, res) => {
      const now = Date.now();
      res.json(200, { iso: new Date(now).toISOString(), unix_ms: now });
    },
    doc: { summary: 'The current time.' },
  },
];
