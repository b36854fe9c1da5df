/**
 * The request side of the codec contract: byte streams a client may send, each with what
 * the engine must make of them - the requests it accepts (method, target, body) and, for
 * a malformed stream, the status it refuses the bad request with (or a plain close when
 * the stream ends inside a head). Written out by hand, never taken from the codec.
 */

export interface Req {
  readonly method: string;
  readonly target: string;
  /** The decoded body (latin1). */
  readonly payload: string;
  readonly wire: string;
}

export interface RequestCase {
  readonly name: string;
  readonly requests: readonly Req[];
  /**
   * What follows the good requests. 'framing': refused with `status` before the stream
   * ends; 'cut': the stream ends inside it (a body cut short is a 400, a head cut short a
   * plain close).
   */
  readonly bad?: { readonly wire: string; readonly refusal: 'framing' | 'cut'; readonly status: number | 'close' };
  /** The client half-closes after the stream. */
  readonly eof: boolean;
}

const H = 'Host: localhost\r\n';

function get(target: string, fields = H, method = 'GET', version = 'HTTP/1.1'): Req {
  return { method, target, payload: '', wire: `${method} ${target} ${version}\r\n${fields}\r\n` };
}

function withLength(target: string, payload: string, fields = H): Req {
  return {
    method: 'POST',
    target,
    payload,
    wire: `POST ${target} HTTP/1.1\r\n${fields}Content-Length: ${payload.length}\r\n\r\n${payload}`,
  };
}

function chunked(target: string, framed: string, payload: string, fields = H): Req {
  return { method: 'POST', target, payload, wire: `POST ${target} HTTP/1.1\r\n${fields}Transfer-Encoding: chunked\r\n\r\n${framed}` };
}

function valid(name: string, requests: Req[]): RequestCase {
  return { name, requests, eof: false };
}

function refused(name: string, wire: string, status: number, good: Req[] = []): RequestCase {
  return { name, requests: good, bad: { wire, refusal: 'framing', status }, eof: false };
}

/** A GET with one extra field line (raw, as given). */
function withField(fieldLine: string): string {
  return `GET /f HTTP/1.1\r\n${H}${fieldLine}\r\n\r\n`;
}

const BINARY = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
const CHUNKED = (body: string): string => `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${body}`;

export const VALID_REQUESTS: readonly RequestCase[] = [
  valid('GET', [get('/ping')]),
  valid('empty lines before the request line', [{ ...get('/ping'), wire: `\r\n\r\n${get('/ping').wire}` }]),
  valid('Content-Length body', [withLength('/echo', 'the cat the café!')]),
  valid('Content-Length: 0', [withLength('/echo', '')]),
  valid('binary body of every byte value', [withLength('/echo', BINARY.repeat(2))]),
  valid('chunked with extensions and trailers', [
    chunked('/c', '4;x=y\r\nab c\r\n9;q="a b"\r\n d\xe9 ab ab\r\n0\r\nX-T: 1\r\n\r\n', 'ab c d\xe9 ab ab'),
  ]),
  valid('chunked, upper-case hex and leading zeros', [chunked('/c', '00A\r\n0123456789\r\n000\r\n\r\n', '0123456789')]),
  valid('chunked, empty body', [chunked('/c', '0\r\n\r\n', '')]),
  valid('pipelined: every framing', [
    get('/one'),
    withLength('/two', 'a b a'),
    chunked('/three', '3\r\nabc\r\n0\r\n\r\n', 'abc'),
    get('/four?x=1'),
  ]),
  valid('absolute-form target', [get('http://localhost/abs?q=1')]),
  valid('percent-encoded path', [get('/caf%C3%A9%20x?q=%zz')]),
  valid('asterisk-form OPTIONS', [get('*', H, 'OPTIONS')]),
  valid('Expect: 100-continue with a body', [withLength('/e', 'waited for', `${H}Expect: 100-continue\r\n`)]),
  valid('field syntax: OWS, tabs, empty value, obs-text, every tchar in a name', [
    get('/f', `${H}X-A:   spaced\t\r\nX-Empty:\r\nX-Latin: caf\xe9\xff\r\nX-!#$%&'*+-.^_\`|~: t\r\n`),
  ]),
  valid('Host with a port, and an IPv6 literal', [get('/h', 'Host: localhost:8080\r\n'), get('/h6', 'Host: [::1]:80\r\n')]),
  valid('HTTP/1.1 with a higher minor version', [get('/v', H, 'GET', 'HTTP/1.2')]),
  valid('a long target under the limit', [get(`/${'t'.repeat(8000)}`)]),
  valid('a large header section under the limit', [
    get('/big', `${H}${Array.from({ length: 50 }, (_, i) => `X-F${i}: ${'v'.repeat(300)}\r\n`).join('')}`),
  ]),
  valid('Content-Length repeated with one value', [
    {
      method: 'POST',
      target: '/r',
      payload: 'abc',
      wire: `POST /r HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3, 003\r\n\r\nabc`,
    },
  ]),
  valid('HTTP/1.0 without Host, last', [
    get('/old', 'Connection: keep-alive\r\n', 'GET', 'HTTP/1.0'),
    get('/older', '', 'GET', 'HTTP/1.0'),
  ]),
  valid('Connection: close, last', [get('/a'), get('/b', `${H}Connection: close\r\n`)]),
];

export const MALFORMED_REQUESTS: readonly RequestCase[] = [
  refused('space before a colon', withField('X-A : 1'), 400),
  refused('space before the colon of Content-Length', `POST /x HTTP/1.1\r\n${H}Content-Length : 3\r\n\r\nabc`, 400),
  refused('obs-fold', withField('X-A: a\r\n b'), 400),
  refused('whitespace before the first field line', `GET /f HTTP/1.1\r\n X-A: 1\r\n${H}\r\n`, 400),
  refused('invalid name character', withField('X@A: 1'), 400),
  refused('empty field name', withField(': x'), 400),
  refused('field line without a colon', withField('NoColon'), 400),
  refused('bare CR in a value', withField('X-A: a\rb'), 400),
  refused('bare CR before what reads as another field', withField('X-A: a\rX-B: b'), 400),
  refused('bare LF ending a field line', `GET /f HTTP/1.1\r\n${H}X-A: 1\n\r\n`, 400),
  refused('bare LF line endings throughout', 'GET /f HTTP/1.1\nHost: localhost\n\n', 400),
  refused('NUL in a value', withField('X-A: a\0b'), 400),
  refused('DEL in a value', withField('X-A: a\x7fb'), 400),
  refused(
    'Content-Length and Transfer-Encoding',
    `POST /x HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    400,
  ),
  refused('Transfer-Encoding in HTTP/1.0', 'POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400),
  refused('conflicting Content-Length', `POST /x HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 3\r\n\r\nabc`, 400),
  ...['-1', '+2', 'abc', '', '1 2', '0x3'].map((v) =>
    refused(`invalid Content-Length ${JSON.stringify(v)}`, `POST /x HTTP/1.1\r\n${H}Content-Length: ${v}\r\n\r\nabc`, 400),
  ),
  refused('Content-Length too large', `POST /x HTTP/1.1\r\n${H}Content-Length: 1234567890123456\r\n\r\n`, 413),
  refused('a coding after chunked', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`, 400),
  refused('an unknown coding before chunked', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 501),
  refused('chunked twice', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`, 400),
  refused('missing Host in HTTP/1.1', 'GET /x HTTP/1.1\r\n\r\n', 400),
  refused('two Host fields', `GET /x HTTP/1.1\r\n${H}${H}\r\n`, 400),
  refused('an invalid Host', 'GET /x HTTP/1.1\r\nHost: a/b\r\n\r\n', 400),
  ...[
    ['two spaces after the method', 'GET  /x HTTP/1.1'],
    ['no version', 'GET /x'],
    ['a word after the version', 'GET /x HTTP/1.1 extra'],
    ['an invalid method character', 'G@T /x HTTP/1.1'],
    ['a lower-case protocol name', 'GET /x http/1.1'],
    ['a control character in the target', 'GET /x\x01y HTTP/1.1'],
    ['obs-text in the target', 'GET /caf\xe9 HTTP/1.1'],
  ].map(([what, l]) => refused(`bad request line: ${what}`, `${l}\r\n${H}\r\n`, 400)),
  refused('malformed percent-encoding in the path', `GET /a%zz HTTP/1.1\r\n${H}\r\n`, 400),
  refused('percent-encoding of invalid UTF-8', `GET /a%C3%28 HTTP/1.1\r\n${H}\r\n`, 400),
  refused('asterisk-form for GET', `GET * HTTP/1.1\r\n${H}\r\n`, 400),
  refused('a target in no form', `GET x/y HTTP/1.1\r\n${H}\r\n`, 400),
  refused('HTTP/2.0', `GET /x HTTP/2.0\r\n${H}\r\n`, 505),
  refused('HTTP/0.9 version', `GET /x HTTP/0.9\r\n${H}\r\n`, 505),
  refused('a target over the limit', `GET /${'t'.repeat(8200)} HTTP/1.1\r\n${H}\r\n`, 414),
  refused('a header section over the limit', `GET /x HTTP/1.1\r\n${H}X-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`, 431),
  refused('more header fields than allowed', `GET /x HTTP/1.1\r\n${H}${'X-A: 1\r\n'.repeat(200)}\r\n`, 431),
  refused('empty lines beyond the header limit', '\r\n'.repeat(8200), 431),
  refused('an unsupported expectation', `POST /x HTTP/1.1\r\n${H}Expect: something\r\nContent-Length: 1\r\n\r\na`, 417),
  refused('TLS instead of HTTP', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 400),
  ...[
    ['data not followed by CRLF', '3\r\nabcX\r\n0\r\n\r\n'],
    ['data followed straight by the next size', '3\r\nabc0\r\n\r\n'],
    ['data followed by two bytes other than CRLF', '3\r\nabcXY0\r\n\r\n'],
    ['a non-hex size', 'g\r\nabc\r\n0\r\n\r\n'],
    ['a 0x prefix', '0x3\r\nabc\r\n0\r\n\r\n'],
    ['whitespace after the size', '3 \r\nabc\r\n0\r\n\r\n'],
    ['an empty size line', '\r\nabc\r\n0\r\n\r\n'],
    ['a size too large', 'fffffffffffffff\r\nabc\r\n0\r\n\r\n'],
    ['a size line ending in a bare LF', '3\nabc\r\n0\r\n\r\n'],
    ['an over-long size line', `3;${'x'.repeat(5000)}\r\nabc\r\n0\r\n\r\n`],
    ['a trailer without a colon', '0\r\nBad Trailer\r\n\r\n'],
    ['a folded trailer', '0\r\nX-T: a\r\n b\r\n\r\n'],
  ].map(([what, body]) => refused(`chunked: ${what}`, CHUNKED(body), 400)),
  refused('malformed after good pipelined requests', withField('X A: 1'), 400, [get('/one'), withLength('/two', 'xy')]),
  {
    name: 'the stream ends inside a Content-Length body',
    requests: [get('/one')],
    bad: { wire: `POST /x HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nhalf`, refusal: 'cut', status: 400 },
    eof: true,
  },
  {
    name: 'the stream ends inside a chunked body',
    requests: [get('/one')],
    bad: { wire: CHUNKED('5\r\nab'), refusal: 'cut', status: 400 },
    eof: true,
  },
  {
    name: 'the stream ends inside a head',
    requests: [get('/one')],
    bad: { wire: `GET /x HTTP/1.1\r\n${H}X-Half: `, refusal: 'cut', status: 'close' },
    eof: true,
  },
];

export function requestStream(c: RequestCase): Buffer {
  return Buffer.from(c.requests.map((r) => r.wire).join('') + (c.bad?.wire ?? ''), 'latin1');
}
