/** Helpers of the Unix-socket tests (engine and worker): a temp dir and a one-shot GET. */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory, removed after the test. */
export function tempDir(t: { after(fn: () => unknown): void }, prefix = 'dhttp-us-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One GET without an agent: `socketPath` or `host`/`port` in the options. */
export function get(options: http.RequestOptions): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ method: 'GET', agent: false, ...options }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (s: string) => {
          body += s;
        })
        .on('end', () => {
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
    });
    req.on('error', reject);
    req.end();
  });
}
