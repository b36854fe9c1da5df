/** The /help document, built from the routes' own docs so it cannot drift from them. */
import type { RouteDef } from './context.js';

export function buildHelp(id: string, routes: readonly RouteDef[]): unknown {
  return {
    service: 'dhttp worker',
    id,
    endpoints: [
      ...routes.map((r) => ({ method: r.methods.join(', '), path: r.path, ...r.doc })),
      { method: 'GET, HEAD', path: '/*', summary: 'Any other path: a static file from --www (index.html, ETag/304, Range/206).' },
    ],
    errors: 'Errors are JSON {"error":{"code","message"},"request_id"}; bad or missing parameters get 400 with the allowed range.',
  };
}
