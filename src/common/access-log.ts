/**
 * The one-line-per-request access log, in exactly the JSON pino writes, appended to the
 * logger's own async destination (so lines stay in order with the rest of the log).
 * Built by hand because it runs on every request: a string concatenation and a buffer
 * append, where a pino call with an object costs several times more.
 */
import { pino, type Logger } from 'pino';

export interface AccessRecord {
  id: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  ms: number;
}

export type AccessLog = (r: AccessRecord) => void;

let isoMs = -1;
let iso = '';

function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    iso = new Date(now).toISOString();
  }
  return iso;
}

/** Null when `info` is disabled: then nothing at all is done per request. */
export function createAccessLog(logger: Logger): AccessLog | null {
  if (!logger.isLevelEnabled('info')) return null;
  const holder = logger as unknown as Record<symbol, unknown>;
  const bindings = holder[pino.symbols.chindingsSym] as string;
  const stream = holder[pino.symbols.streamSym] as { write(s: string): unknown };
  const head = `{"level":30,"time":"`;
  const afterTime = `"${bindings},"id":"`;
  // id is [A-Za-z0-9._:-] (request-id.ts) and method a token: neither needs escaping.
  return (r) => {
    stream.write(
      `${head}${isoNow()}${afterTime}${r.id}","method":"${r.method}","path":${JSON.stringify(r.path)},"status":${r.status},"bytes":${r.bytes},"ms":${Math.round(r.ms * 1000) / 1000},"msg":"request"}\n`,
    );
  };
}
