/** /ping, /health, /status, /metrics, /help: what operators and the dispatcher poll. */
import { JSON_TYPE } from '../../server/response.js';
import type { RouteDef, RouteGroup } from '../context.js';
import { flatString } from '../../common/flat-string.js';
import { ProcessUsage } from './process-usage.js';

const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** /ping's body up to its load: the rest is spliced in, no JSON.stringify per request. */
const PING_HEAD = '{"status":"ok","load":';

export const statusRoutes: RouteGroup = (ctx): RouteDef[] => {
  const usage = new ProcessUsage();
  const started = `,"started":${ctx.stats.startedAt}}`;
  // The last body, kept while load and usage repeat (one flat string, not four pieces per answer).
  let pingBody = '';
  let pingLoad = Number.NaN;
  let pingFields = '';
  return [
    {
      methods: ['GET'],
      path: '/ping',
      // The dispatcher's health check and load signal, benchmarked: built as a string, and
      // the CPU and memory figures are refreshed at most twice a second (process-usage.ts).
      // inFlight counts this very request, which is not load.
      handler: (req, res) => {
        const load = ctx.stats.inFlight - 1;
        const fields = usage.jsonFields(req.startedAt);
        if (load !== pingLoad || fields !== pingFields) {
          pingLoad = load;
          pingFields = fields;
          pingBody = flatString(`${PING_HEAD}${load}${fields}${started}`);
        }
        res.send(200, pingBody, JSON_TYPE);
      },
      doc: {
        summary:
          'Health check: {"status":"ok","load":<requests in flight>,"cpu":<cores busy>,"rss":<resident bytes>,"started":<process start, unix ms>}.',
      },
    },
    {
      methods: ['GET'],
      path: '/health',
      handler: (_req, res) => {
        res.json(200, {
          status: 'ok',
          uptime_seconds: Math.round((Date.now() - ctx.stats.startedAt) / 10) / 100,
          timestamp: new Date().toISOString(),
        });
      },
      doc: { summary: 'Liveness: status, uptime and the current time.' },
    },
    {
      methods: ['GET'],
      path: '/status',
      handler: (req, res) => {
        const mem = process.memoryUsage();
        return ctx.compression.json(req, res, 200, {
          pid: process.pid,
          id: ctx.id,
          uptime_seconds: Math.round((Date.now() - ctx.stats.startedAt) / 10) / 100,
          connections: ctx.stats.connections(),
          requests_served: ctx.stats.requestsServed(),
          in_flight: ctx.stats.inFlight - 1,
          websockets: ctx.stats.websockets(),
          pool: ctx.pool.stats(),
          memory: {
            rss: mem.rss,
            heap_used: mem.heapUsed,
            heap_total: mem.heapTotal,
            external: mem.external,
            array_buffers: mem.arrayBuffers,
          },
        });
      },
      doc: {
        summary:
          'Process status: pid, id, uptime, connections, requests, in flight (open WebSockets included), open WebSockets, compute pool, memory.',
      },
    },
    {
      methods: ['GET'],
      path: '/metrics',
      handler: async (req, res) => ctx.compression.send(req, res, 200, await ctx.metricsText(), PROMETHEUS_TYPE),
      doc: { summary: 'Prometheus text format: requests by route and status, latency, pool, connections, process.' },
    },
    {
      methods: ['GET'],
      path: '/help',
      handler: (req, res) => ctx.compression.json(req, res, 200, ctx.help()),
      doc: { summary: 'This list.' },
    },
  ];
};
