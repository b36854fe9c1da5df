/**
 * The head of a whole response that carries no field a handler set (every GET /ping, every
 * JSON answer of the worker's routes), kept for the last combination of what it is made of.
 *
 * Why: a head joined from a dozen strings is a tree of strings that V8 copies piece by piece
 * into one flat string when the socket write encodes it. With ten pipelined answers per
 * write that copying (String::WriteToFlat) was a tenth of the worker's CPU. A kept head
 * is one flat string, so an answer is four pieces: the start, the request id, the end and
 * the body. A relayed answer (the dispatcher's) keeps what it adds to the upstream's lines
 * the same way.
 */
import { dateLine } from '../codec/http-date.js';
import { flatString as flat } from '../common/flat-string.js';
import { statusLine } from '../codec/status.js';

let startStatus = -1;
let startType = '';
let startLength = -2;
let startConstant = '';
let startDate = '';
let start = '';

/**
 * Everything before the request id's value: the status line, `typeLine` (a whole
 * `Content-Type: …` line or ''), `Content-Length: <length>` (none when length < 0),
 * `constantLines`, the Date line and `X-Request-Id: `.
 */
export function plainHeadStart(status: number, typeLine: string, length: number, constantLines: string): string {
  const date = dateLine();
  if (status !== startStatus || length !== startLength || typeLine !== startType || date !== startDate || constantLines !== startConstant) {
    startStatus = status;
    startType = typeLine;
    startLength = length;
    startConstant = constantLines;
    startDate = date;
    const lengthLine = length < 0 ? '' : `Content-Length: ${length}\r\n`;
    start = flat(`${statusLine(status)}${typeLine}${lengthLine}${constantLines}${date}X-Request-Id: `);
  }
  return start;
}

let endHint: string | undefined;
/** The end of a head after the request id's value: HTTP/1.1 persistent, HTTP/1.0 persistent, closing. */
let ends: readonly [string, string, string] = ['', '', ''];
const CLOSING = '\r\nConnection: close\r\n\r\n';

/** From the CRLF that ends the X-Request-Id line to the blank line; `hint` is the Keep-Alive line ('' for none). */
export function plainHeadEnd(keepAlive: boolean, httpMinor: 0 | 1, hint: string): string {
  if (!keepAlive) return CLOSING;
  if (hint !== endHint) {
    endHint = hint;
    ends = [flat(`\r\n${hint}\r\n`), flat(`\r\nConnection: keep-alive\r\n${hint}\r\n`), CLOSING];
  }
  return ends[httpMinor === 1 ? 0 : 1];
}

let middleConstant = '';
let middleDate = '';
let middle = '';

/**
 * What a relayed head carries between the upstream's lines and the request id's value:
 * `constantLines`, the Date line and `X-Request-Id: `, kept as one flat string.
 */
export function relayedHeadMiddle(constantLines: string): string {
  const date = dateLine();
  if (date !== middleDate || constantLines !== middleConstant) {
    middleDate = date;
    middleConstant = constantLines;
    middle = flat(`${constantLines}${date}X-Request-Id: `);
  }
  return middle;
}
