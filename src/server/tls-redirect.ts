/**
 * `--redirect-http PORT`: the handler of the plain-HTTP listener that sends every request
 * to the HTTPS one with 308 (method and body kept, as a browser repeats them). The engine
 * has already validated the Host header; a request without one has nowhere to go.
 */
import { httpError } from '../common/errors.js';
import type { Handler } from './types.js';

export function redirectToHttps(httpsPort: () => number): Handler {
  return (req, res) => {
    const host = req.hostname;
    if (host === '') throw httpError('BAD_REQUEST', 'a Host header is needed to redirect to HTTPS');
    if (req.rawPath === '*') throw httpError('BAD_REQUEST', 'OPTIONS * has no HTTPS location');
    const port = httpsPort();
    const authority = port === 443 ? host : `${host}:${port}`;
    const query = req.rawQuery === '' ? '' : `?${req.rawQuery}`;
    const location = `https://${authority}${req.rawPath}${query}`;
    res.status = 308;
    res.setHeader('Location', location);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    // The body is read by nobody; a client that sent one gets it discarded (or the
    // connection closed) by the engine as for any answer that does not read it.
    res.end(`Redirecting to ${location}\n`);
  };
}
