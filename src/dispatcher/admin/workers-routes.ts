/**
 * The worker registry over HTTP (SPEC §5): `/workers` and its seed-paper alias
 * `/monitoring` list (live workers, then those gone while serving until they return, see
 * upstream-lineage.ts); `POST /workers/register` and `/workers/deregister` let workers
 * announce themselves and leave, with the cluster token (SPEC §6); `/workers/<id>/metrics`
 * relays a worker's /metrics.
 */
import { compressionOf } from '../../server/compress.js';
import type { Router } from '../../server/router.js';
import type { HttpRequest, HttpResponse } from '../../server/types.js';
import { httpError } from '../../common/errors.js';
import type { ClusterToken } from '../access-control.js';
import type { DispatcherContext } from '../context.js';
import type { Registrar } from '../upstreams/registration.js';
import { workerMetricsRoute } from './worker-metrics-route.js';

/** A registration is a line of JSON; anything bigger is not one. */
export const REGISTRATION_MAX_BODY = 16 * 1024;

export interface RegistrationAccess {
  readonly token: ClusterToken;
  readonly registrar: Registrar;
}

export function workerRoutes(router: Router, ctx: DispatcherContext, access: RegistrationAccess): void {
  const compression = compressionOf(ctx.config);
  const list = (req: HttpRequest, res: HttpResponse): void | Promise<void> =>
    compression.json(
      req,
      res,
      200,
      ctx.metrics.lineage.listed().map((u) => u.toJSON()),
    );
  router.get('/workers', list);
  router.get('/monitoring', list);

  // The token is checked before the body is read: an anonymous client gets nothing parsed.
  router.post(
    '/workers/register',
    async (req, res) => {
      access.token.verify(req.headers.get('authorization'));
      const { restarted, ...result } = await access.registrar.register(await readJson(req));
      const { ID, Address, Restarts } = result.worker;
      if (result.created) {
        ctx.logger.info(
          { event: restarted ? 'upstream_restarted' : 'registered', worker: ID, address: Address, restarts: Restarts },
          restarted ? 'worker restarted (registered again from a new address)' : 'worker registered',
        );
      }
      res.json(result.created ? 201 : 200, result);
    },
    { maxBody: REGISTRATION_MAX_BODY },
  );
  router.post(
    '/workers/deregister',
    async (req, res) => {
      access.token.verify(req.headers.get('authorization'));
      const result = access.registrar.deregister(await readJson(req));
      if (result.removed) ctx.logger.info({ event: 'deregistered', address: result.address }, 'worker deregistered; draining');
      res.json(200, result);
    },
    { maxBody: REGISTRATION_MAX_BODY },
  );
  workerMetricsRoute(router, ctx);
}

async function readJson(req: HttpRequest): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const chunk of req.body) parts.push(chunk as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw httpError('INVALID_BODY', 'body must be JSON like {"address":"http://host:port"}');
  }
}
