/**
 * Method + path routing: exact paths in a map, ":param" patterns in a list, 404 for
 * unknown paths (or a fallback handler), 405 with Allow for a known path and another
 * method, 501 for methods the server does not know. HEAD is served by GET handlers.
 */
import { httpError } from '../common/errors.js';
import type { Handler, HttpRequest, HttpResponse } from './types.js';

export interface RouteOptions {
  /** Body limit for this route in bytes (overrides the server's maxBodyBytes). */
  maxBody?: number;
}

interface Route {
  readonly handler: Handler;
  readonly options: RouteOptions;
}

type MethodTable = Map<string, Route>;

interface Pattern {
  readonly segments: readonly string[];
  readonly methods: MethodTable;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT']);

export class Router {
  readonly #exact = new Map<string, MethodTable>();
  readonly #patterns: Pattern[] = [];
  #fallback: Handler | undefined;

  add(methods: string | readonly string[], path: string, handler: Handler, options: RouteOptions = {}): this {
    const table = this.#tableFor(path);
    for (const m of typeof methods === 'string' ? [methods] : methods) table.set(m, { handler, options });
    return this;
  }

  get(path: string, handler: Handler, options?: RouteOptions): this {
    return this.add('GET', path, handler, options);
  }

  post(path: string, handler: Handler, options?: RouteOptions): this {
    return this.add('POST', path, handler, options);
  }

  /** Handles GET/HEAD requests no route matched (e.g. static files). */
  fallback(handler: Handler): this {
    this.#fallback = handler;
    return this;
  }

  /** The route's body limit, for the engine's check before reading a body. */
  bodyLimit(method: string, path: string): number | undefined {
    return this.#match(path)?.methods.get(method)?.options.maxBody;
  }

  /** The Handler to give the server. */
  readonly handle: Handler = (req: HttpRequest, res: HttpResponse) => {
    // Exact paths first, without building a match object (the hot path).
    const exact = this.#exact.get(req.path);
    if (exact !== undefined) return this.#dispatch(req, res, exact, undefined);
    const found = this.#matchPattern(req.path);
    if (found !== undefined) return this.#dispatch(req, res, found.methods, found.params);
    if (req.path === '*' && req.method === 'OPTIONS') {
      res.status = 204;
      res.setHeader('Allow', 'GET, HEAD, POST, OPTIONS');
      res.end();
      return;
    }
    if (!KNOWN_METHODS.has(req.method)) throw httpError('NOT_IMPLEMENTED', `method ${req.method} is not implemented`);
    if (this.#fallback !== undefined && (req.method === 'GET' || req.method === 'HEAD')) return this.#fallback(req, res);
    throw httpError('NOT_FOUND', `no route for ${req.path}`);
  };

  /** A known path: its handler for the method, else 501 / OPTIONS / 405. */
  #dispatch(req: HttpRequest, res: HttpResponse, methods: MethodTable, params: Record<string, string> | undefined): void | Promise<void> {
    const route = methods.get(req.method) ?? (req.method === 'HEAD' ? methods.get('GET') : undefined);
    if (route !== undefined) {
      // Exact paths have no params: the engine's request starts with an empty object.
      if (params !== undefined) req.params = params;
      return route.handler(req, res);
    }
    if (!KNOWN_METHODS.has(req.method)) throw httpError('NOT_IMPLEMENTED', `method ${req.method} is not implemented`);
    const allow = allowOf(methods);
    if (req.method === 'OPTIONS') {
      res.status = 204;
      res.setHeader('Allow', allow);
      res.end();
      return;
    }
    throw httpError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}; allowed: ${allow}`, { Allow: allow });
  }

  #tableFor(path: string): MethodTable {
    if (!path.includes(':')) {
      let t = this.#exact.get(path);
      if (t === undefined) this.#exact.set(path, (t = new Map()));
      return t;
    }
    const segments = path.split('/');
    let p = this.#patterns.find((x) => x.segments.join('/') === segments.join('/'));
    if (p === undefined) this.#patterns.push((p = { segments, methods: new Map() }));
    return p.methods;
  }

  #match(path: string): { methods: MethodTable; params: Record<string, string> } | undefined {
    const exact = this.#exact.get(path);
    if (exact !== undefined) return { methods: exact, params: {} };
    return this.#matchPattern(path);
  }

  #matchPattern(path: string): { methods: MethodTable; params: Record<string, string> } | undefined {
    if (this.#patterns.length === 0) return undefined;
    const parts = path.split('/');
    for (const p of this.#patterns) {
      if (p.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = p.segments[i];
        if (seg.startsWith(':')) {
          if (parts[i] === '') ok = false;
          else params[seg.slice(1)] = parts[i];
        } else if (seg !== parts[i]) {
          ok = false;
        }
      }
      if (ok) return { methods: p.methods, params };
    }
    return undefined;
  }
}

function allowOf(methods: MethodTable): string {
  const set = new Set(methods.keys());
  if (set.has('GET')) set.add('HEAD');
  set.add('OPTIONS');
  return [...set].join(', ');
}
