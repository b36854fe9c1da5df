/**
 * Runs a handler for one exchange - a synchronous answer, a promise, or a throw - and
 * answers what went wrong: an error not answered yet becomes its SPEC §2 response (a 500
 * for anything but an HttpError), one after the head was sent cuts the connection so the
 * client sees a broken body. A handler that returns without having started its answer is
 * a bug (500); one that started it gets it ended.
 */
import { asHttpError, httpError } from '../common/errors.js';
import type { Request } from './request.js';
import type { Response } from './response.js';
import type { Handler } from './types.js';

/** What a failing handler needs from its connection. */
export interface HandlerHost {
  /** A crash or a 5xx, to be logged. */
  handlerFailed(err: unknown, req: Request): void;
  /** Cuts the connection (the answer cannot be completed). */
  cut(): void;
}

export function runHandler(handler: Handler, req: Request, res: Response, host: HandlerHost): void {
  let result: undefined | Promise<void>;
  try {
    result = handler(req, res) as undefined | Promise<void>;
  } catch (err) {
    failed(err, req, res, host);
    return;
  }
  if (result !== undefined && typeof result.then === 'function') {
    result.then(
      () => settled(req, res, host),
      (err: unknown) => failed(err, req, res, host),
    );
  } else settled(req, res, host);
}

function settled(req: Request, res: Response, host: HandlerHost): void {
  if (res.finished) return;
  if (res.headersSent) res.end();
  else failed(new Error(`handler for ${req.method} ${req.path} returned without responding`), req, res, host);
}

function failed(err: unknown, req: Request, res: Response, host: HandlerHost): void {
  if (res.finished) return;
  const httpErr = asHttpError(err);
  if (httpErr === undefined || httpErr.status >= 500) host.handlerFailed(err, req);
  if (res.headersSent) {
    res.abandon();
    host.cut();
    return;
  }
  res.sendError(httpErr ?? httpError('INTERNAL', 'internal server error'));
}
