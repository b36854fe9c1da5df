/**
 * A request the dispatcher makes for itself (health probes, job chunks, a worker's
 * metrics) to one upstream, over its pools, through the client's promise API. Every such
 * answer is bounded by size and time (RequestOptions.maxBytes, deadlineMs).
 */
import { type ClientResponse, type RequestOptions, request } from '../../client/request.js';
import type { Upstream } from '../upstreams/upstream.js';

export interface UpstreamRequestOptions extends RequestOptions {
  /** `probe` uses the upstream's dedicated health-check connection. @default 'pool' */
  via?: 'pool' | 'probe';
}

export type UpstreamResponse = ClientResponse;

export function upstreamRequest(upstream: Upstream, options: UpstreamRequestOptions): Promise<UpstreamResponse> {
  const transport = upstream.transport;
  return request(options.via === 'probe' ? transport.probe : transport.pool, options);
}
