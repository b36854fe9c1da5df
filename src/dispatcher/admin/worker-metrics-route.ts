/**
 * `GET /workers/<id>/metrics`: a worker's own /metrics, fetched through the dispatcher, so
 * one scrape target (the dispatcher's address) sees every worker of a `dhttp start`
 * machine, whose workers listen on random loopback ports. Any live worker can be scraped
 * this way (fixed, registered or discovered ones too). The answer is relayed as it came,
 * within --worker-metrics-max-bytes and --worker-metrics-timeout; its series carry
 * `worker="<id>"`, so the workers stay apart.
 */
import type { Router } from '../../server/router.js';
import { httpError, type HttpError } from '../../common/errors.js';
import type { DispatcherContext } from '../context.js';
import { upstreamRequest } from '../proxy/upstream-request.js';
import { classify, describeError } from '../proxy/retry.js';
import type { Upstream } from '../upstreams/upstream.js';

const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function workerMetricsRoute(router: Router, ctx: DispatcherContext): void {
  router.get('/workers/:id/metrics', async (req, res) => {
    const id = req.params.id;
    const upstream = ctx.upstreams.getById(id);
    if (upstream === undefined) throw httpError('NOT_FOUND', `no live worker with id ${JSON.stringify(id.slice(0, 64))}`);
    const text = await scrape(upstream, ctx.config.workerMetricsTimeout, ctx.config.workerMetricsMaxBytes);
    res.setHeader('Cache-Control', 'no-store');
    res.send(200, text, PROMETHEUS_TYPE);
  });
}

/** The worker's /metrics body, whole: within `timeoutMs` in all and `maxBytes`. */
export async function scrape(upstream: Upstream, timeoutMs: number, maxBytes: number): Promise<Buffer> {
  const signal = AbortSignal.timeout(timeoutMs);
  const failed = (err: unknown): HttpError =>
    signal.aborted || classify(err) === 'timeout'
      ? httpError('GATEWAY_TIMEOUT', `worker ${upstream.id} did not send its /metrics within ${timeoutMs} ms`)
      : httpError('BAD_GATEWAY', `worker ${upstream.id} /metrics failed: ${describeError(err)}`);
  let res: Awaited<ReturnType<typeof upstreamRequest>>;
  try {
    res = await upstreamRequest(upstream, {
      method: 'GET',
      path: '/metrics',
      headers: { 'user-agent': 'dhttp-dispatcher', accept: 'text/plain' },
      signal,
      timeoutMs,
    });
  } catch (err) {
    throw failed(err);
  }
  const tooBig = (): HttpError =>
    httpError('BAD_GATEWAY', `worker ${upstream.id} /metrics is larger than --worker-metrics-max-bytes (${maxBytes} bytes)`);
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => {});
    throw httpError('BAD_GATEWAY', `worker ${upstream.id} /metrics answered ${res.statusCode}`);
  }
  if (res.complete !== undefined) {
    if (res.complete.length > maxBytes) throw tooBig();
    return res.complete;
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.body.destroy();
    throw tooBig();
  }
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) break;
      parts.push(chunk as Buffer);
    }
  } catch (err) {
    throw failed(err);
  }
  if (size > maxBytes) {
    res.body.destroy();
    throw tooBig();
  }
  return Buffer.concat(parts, size);
}
