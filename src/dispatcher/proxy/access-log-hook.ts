/**
 * The dispatcher's access log: one line per forwarded request (the `logging` phase of the
 * request's lifecycle), written when its forwarding ends - answered, failed, or given up
 * by the client (status 499, as nginx logs it) - with the client address behind
 * --trusted-proxies, the worker, retries and durations. `--access-log-sample` thins the
 * lines at very high rates; a 5xx is always written.
 */
import type { DispatcherAccessLog } from '../../common/access-log.js';
import { clientAddressOf, TrustedProxies } from '../../common/client-address.js';
import type { HttpRequest, HttpResponse } from '../../server/types.js';
import type { ForwardOutcome } from './forward.js';

/** What nginx logs for a request whose client closed before its answer. */
const CLIENT_CLOSED = 499;

export function accessLogOf(
  log: DispatcherAccessLog | null,
  config: { readonly accessLog: 'on' | 'off'; readonly accessLogSample: number; readonly trustedProxies: readonly string[] },
): ((req: HttpRequest, res: HttpResponse, outcome: ForwardOutcome) => void) | undefined {
  if (log === null || config.accessLog === 'off') return undefined;
  const trusted = new TrustedProxies(config.trustedProxies);
  const sample = config.accessLogSample;
  return (req, res, outcome) => {
    // An error the engine is about to answer is logged with its status; a client that left
    // before its answer with 499.
    const status = req.aborted && !res.finished ? CLIENT_CLOSED : (outcome.errorStatus ?? res.status);
    if (status < 500 && sample < 1 && Math.random() >= sample) return;
    let xff: string | undefined;
    let ua: string | undefined;
    const fields = req.fieldList;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i];
      if (name === 'user-agent') ua = fields[i + 1];
      else if (name === 'x-forwarded-for' && trusted.size > 0) xff = xff === undefined ? fields[i + 1] : `${xff}, ${fields[i + 1]}`;
    }
    log({
      id: req.id,
      client: clientAddressOf(req.remoteAddress, xff, trusted),
      method: req.method,
      target: req.target,
      status,
      bytesIn: outcome.bytesIn,
      bytesOut: res.bytesWritten,
      worker: outcome.worker,
      retries: outcome.retries,
      upstreamMs: outcome.upstreamMs,
      ms: performance.now() - req.startedAt,
      userAgent: ua,
    });
  };
}
