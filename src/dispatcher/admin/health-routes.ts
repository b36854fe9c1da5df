/** Liveness (`/health`: the process answers) and readiness (`/ready`: it can serve). */
import type { Router } from '../../server/router.js';
import { httpError } from '../../common/errors.js';
import type { DispatcherContext } from '../context.js';

export function healthRoutes(router: Router, ctx: DispatcherContext): void {
  router.get('/health', (_req, res) => {
    res.json(200, {
      status: 'ok',
      uptime_seconds: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
      timestamp: new Date().toISOString(),
    });
  });
  router.get('/ready', (_req, res) => {
    const active = ctx.upstreams.available().length;
    // A load balancer in front should try again soon: the health checker runs every interval.
    const retryAfter = String(Math.max(1, Math.ceil(ctx.config.healthInterval / 1000)));
    if (active === 0) throw httpError('NO_WORKER', 'no worker is active', { 'Retry-After': retryAfter });
    res.json(200, { ready: true, active });
  });
}
