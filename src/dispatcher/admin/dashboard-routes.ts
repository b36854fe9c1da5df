/** `/dashboard`: one self-contained HTML page that polls /status and /workers. */
import { KeptBody, compressionOf } from '../../server/compress.js';
import type { Router } from '../../server/router.js';
import type { DispatcherContext } from '../context.js';
import { DASHBOARD_HTML } from './dashboard-page.js';

export function dashboardRoutes(router: Router, ctx: DispatcherContext): void {
  // Compressed once per coding, on first demand (--compress).
  const compression = compressionOf(ctx.config);
  const page = new KeptBody(DASHBOARD_HTML, 'text/html; charset=utf-8');
  router.get('/dashboard', (req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    return compression.sendKept(req, res, 200, page);
  });
}
