/** `/metrics`: Prometheus text, rendered from counters at scrape time. */
import type { Router } from '../../server/router.js';
import type { DispatcherContext } from '../context.js';

export function metricsRoutes(router: Router, ctx: DispatcherContext): void {
  router.get('/metrics', async (_req, res) => {
    const text = await ctx.metrics.text();
    res.send(200, text, ctx.metrics.contentType);
  });
}
