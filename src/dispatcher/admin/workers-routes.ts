/**
 * The worker registry over HTTP (SPEC §5): `/workers` and its seed-paper alias
 * `/monitoring` list (live workers, then those gone while serving until they return, see
 * upstream-lineage.ts); `POST /workers/register` and `/workers/deregister` let workers
 * announce themselves and leave; `/workers/<id>/metrics` relays a worker's /metrics.
 */
import type { Router } from '../../server/router.js';
import type { HttpRequest, HttpResponse } from '../../server/types.js';
import { httpError } from '../../common/errors.js';
import type { DispatcherContext } from '../context.js';
import { handleDeregister, parseRegistration } from '../upstreams/registration.js';
import type { UpstreamJSON } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';
import type { UpstreamLineage } from './upstream-lineage.js';
import { workerMetricsRoute } from './worker-metrics-route.js';

/** A registration is a line of JSON; anything bigger is not one. */
export const REGISTRATION_MAX_BODY = 16 * 1024;

const WORKER_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function workerRoutes(router: Router, ctx: DispatcherContext): void {
  const list = (_req: HttpRequest, res: HttpResponse): void => {
    res.json(
      200,
      ctx.metrics.lineage.listed().map((u) => u.toJSON()),
    );
  };
  router.get('/workers', list);
  router.get('/monitoring', list);

  router.post(
    '/workers/register',
    async (req, res) => {
      const { restarted, ...result } = register(ctx.upstreams, await readJson(req), ctx.metrics.lineage);
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
      const result = handleDeregister(ctx.upstreams, await readJson(req));
      if (result.body.removed) ctx.logger.info({ event: 'deregistered', address: result.body.address }, 'worker deregistered; draining');
      res.json(result.status, result.body);
    },
    { maxBody: REGISTRATION_MAX_BODY },
  );
  workerMetricsRoute(router, ctx);
}

/**
 * Adds the worker, idempotently. An `id` in the body is kept, so a worker restarted on a
 * new port keeps its ID: an inactive upstream holding that ID is taken to be its previous
 * life and removed. An active one is another worker, so the newcomer gets a fresh ID
 * rather than evicting it. `restarted`: a known ID came back from a new address (its
 * counters go on, and its restart is counted, through the lineage).
 */
export function register(
  set: UpstreamSet,
  body: unknown,
  lineage?: UpstreamLineage,
): { created: boolean; restarted: boolean; worker: UpstreamJSON } {
  const address = parseRegistration(body);
  const given = (body as { id?: unknown }).id;
  if (given !== undefined && (typeof given !== 'string' || !WORKER_ID.test(given))) {
    throw httpError('INVALID_BODY', 'id must be 1-64 characters of [A-Za-z0-9._:-]');
  }
  let id = given as string | undefined;
  const existing = set.get(address);
  if (existing) return { created: false, restarted: false, worker: existing.toJSON() };
  const holder = id === undefined ? undefined : set.getById(id);
  if (holder?.active) id = undefined;
  else if (holder) set.remove(holder.address, true);
  const previous = id === undefined ? undefined : (holder?.address ?? lineage?.pastAddress(id));
  const worker = set.add(address, id === undefined ? {} : { id }).toJSON();
  return { created: true, restarted: previous !== undefined && previous !== address, worker };
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
