/** A small undici-based client for integration tests: status, headers and parsed body. */
import { Readable } from 'node:stream';
import { request } from 'undici';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

export async function call(
  url: string,
  init: { method?: string; body?: string | Buffer | AsyncIterable<Buffer>; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Reply> {
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    body: typeof init.body === 'object' && !Buffer.isBuffer(init.body) ? Readable.from(init.body) : init.body,
    headers: init.headers,
    headersTimeout: init.timeoutMs ?? 30_000,
    bodyTimeout: init.timeoutMs ?? 30_000,
  });
  const text = await res.body.text();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers, text, json };
}

/** Asserts nothing; returns the SPEC §2 error fields of a reply, or undefined. */
export function errorOf(r: Reply): { code: string; message: string; request_id: string } | undefined {
  const j = r.json as { error?: { code?: unknown; message?: unknown }; request_id?: unknown } | undefined;
  if (typeof j?.error?.code !== 'string' || typeof j.error.message !== 'string' || typeof j.request_id !== 'string') return undefined;
  return { code: j.error.code, message: j.error.message, request_id: j.request_id };
}
