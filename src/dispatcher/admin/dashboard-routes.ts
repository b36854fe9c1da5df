/** `/dashboard`: one self-contained HTML page that polls /status and /workers. */
import type { Router } from '../../server/router.js';
import { DASHBOARD_HTML } from './dashboard-page.js';

export function dashboardRoutes(router: Router): void {
  const page = Buffer.from(DASHBOARD_HTML, 'utf8');
  router.get('/dashboard', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.send(200, page, 'text/html; charset=utf-8');
  });
}
