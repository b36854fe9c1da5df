/**
 * What the hostile-client suite shares: a client that can pick its source address and
 * headers (node:http, one connection per request), the `/workers` table, a process's
 * resident memory.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';

export const TOKEN = 'security-suite-token-0123456789';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Source address of the connection (any 127.x.y.z reaches a loopback listener). */
  localAddress?: string;
  /** @default 10000 */
  timeoutMs?: number;
}

/** One request on a fresh connection. */
export function send(url: string, options: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (s: string) => {
          text += s;
        });
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text) as unknown;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${options.method ?? 'GET'} ${url}: no answer within ${options.timeoutMs ?? 10_000} ms`)),
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POST of a JSON body to a registration route, with the given Authorization (none when undefined). */
export function registration(
  base: string,
  path: '/workers/register' | '/workers/deregister',
  body: unknown,
  authorization?: string,
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  return send(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

export interface WorkerRow {
  ID: string;
  Address: string;
  Active: boolean;
  Draining: boolean;
  Source: string;
}

export async function workerRows(base: string): Promise<WorkerRow[]> {
  return (await send(`${base}/workers`)).json as WorkerRow[];
}

/** `/workers` reduced to what a registration could change. */
export async function workerSet(base: string): Promise<string[]> {
  return (await workerRows(base)).map((r) => `${r.ID} ${r.Address} ${r.Source}${r.Draining ? ' draining' : ''}`);
}

export function errorCode(a: Answer): string | undefined {
  return (a.json as { error?: { code?: string } } | undefined)?.error?.code;
}

/** Resident memory of a process of this machine, in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export const MiB = 1024 * 1024;
