/** Whole small request bodies (JSON APIs); the engine already enforces the route's limit. */
import { httpError } from '../common/errors.js';
import type { HttpRequest } from '../server/types.js';

export async function readBody(req: HttpRequest): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req.body as AsyncIterable<Buffer>) parts.push(c);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** Parses the body as JSON; anything else is INVALID_BODY. */
export async function readJson(req: HttpRequest): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw httpError('INVALID_BODY', `body must be JSON: ${(err as Error).message}`);
  }
}
