/**
 * The response side of the codec contract: byte streams a worker may send, each with what
 * every reader of answers must make of it. Expectations are written out by hand (or built
 * from the framing rules by the small helpers below), never taken from the codec.
 *
 * A stream answers a sequence of requests (their methods). A valid stream is a list of
 * answers that must all be delivered whole; a malformed one is good answers followed by
 * `bad`: bytes that must be refused - an answer that breaks HTTP/1.1, or bytes when no
 * answer was asked for (`bad.method` undefined), which must never pass as one.
 */

export interface Answer {
  /** Method of the request it answers. */
  readonly method: string;
  /** Its bytes on the wire (latin1): any interim heads, the final head, the body as framed. */
  readonly wire: string;
  readonly status: number;
  /** The decoded body (latin1). */
  readonly payload: string;
  /** The body as framed (what a relay hands on); '' when there is none. */
  readonly framed: string;
  /** The connection may carry another answer after this one. */
  readonly keepAlive: boolean;
}

export interface Bad {
  /** The request it answers; undefined: none was asked (bytes beyond every answer). */
  readonly method: string | undefined;
  readonly wire: string;
  /**
   * 'framing': the bytes themselves are refused, before the connection ends; 'cut': the
   * answer is cut short by the connection's end (only EOF reveals it).
   */
  readonly refusal: 'framing' | 'cut' | 'extra';
}

export interface ResponseCase {
  readonly name: string;
  readonly answers: readonly Answer[];
  readonly bad?: Bad;
  /** The worker closes the connection after the stream (close-delimited bodies, truncation). */
  readonly eof: boolean;
}

const CRLF = '\r\n';

/** A head: status line and field lines, then the blank line. */
export function headOf(statusLine: string, fields: readonly string[] = []): string {
  return `${statusLine}${CRLF}${fields.map((f) => `${f}${CRLF}`).join('')}${CRLF}`;
}

/** A chunked body from its chunks (each with an optional extension), and trailer lines. */
export function chunkedBody(chunks: readonly (string | [string, string])[], trailers: readonly string[] = [], lastExt = ''): string {
  let out = '';
  for (const c of chunks) {
    const [data, ext] = typeof c === 'string' ? [c, ''] : c;
    out += `${data.length.toString(16)}${ext}${CRLF}${data}${CRLF}`;
  }
  return `${out}0${lastExt}${CRLF}${trailers.map((t) => `${t}${CRLF}`).join('')}${CRLF}`;
}

function payloadOf(chunks: readonly (string | [string, string])[]): string {
  return chunks.map((c) => (typeof c === 'string' ? c : c[0])).join('');
}

interface Opts {
  method?: string;
  status?: number;
  statusLine?: string;
  fields?: readonly string[];
  /** Interim heads sent before the final one. */
  interim?: string;
  keepAlive?: boolean;
}

function line(o: Opts): string {
  return o.statusLine ?? `HTTP/1.1 ${o.status ?? 200} OK`;
}

function statusOf(o: Opts): number {
  return o.status ?? Number(line(o).slice(9, 12));
}

/** A Content-Length answer. */
export function withLength(payload: string, o: Opts = {}): Answer {
  const head = headOf(line(o), [...(o.fields ?? []), `Content-Length: ${payload.length}`]);
  return {
    method: o.method ?? 'GET',
    wire: `${o.interim ?? ''}${head}${payload}`,
    status: statusOf(o),
    payload,
    framed: payload,
    keepAlive: o.keepAlive ?? true,
  };
}

/** A chunked answer. */
export function chunked(chunks: readonly (string | [string, string])[], o: Opts & { trailers?: string[]; te?: string } = {}): Answer {
  const head = headOf(line(o), [...(o.fields ?? []), `Transfer-Encoding: ${o.te ?? 'chunked'}`]);
  const framed = chunkedBody(chunks, o.trailers);
  return {
    method: o.method ?? 'GET',
    wire: `${o.interim ?? ''}${head}${framed}`,
    status: statusOf(o),
    payload: payloadOf(chunks),
    framed,
    keepAlive: o.keepAlive ?? true,
  };
}

/** An answer whose body runs to the connection's end (no Content-Length, no chunked). */
export function untilClose(payload: string, o: Opts = {}): Answer {
  return {
    method: o.method ?? 'GET',
    wire: `${o.interim ?? ''}${headOf(line(o), o.fields ?? [])}${payload}`,
    status: statusOf(o),
    payload,
    framed: payload,
    keepAlive: false,
  };
}

/** An answer without a body (HEAD, 204, 304, or a zero Content-Length), whatever its fields announce. */
export function bodyless(o: Opts = {}): Answer {
  return {
    method: o.method ?? 'GET',
    wire: `${o.interim ?? ''}${headOf(line(o), o.fields ?? [])}`,
    status: statusOf(o),
    payload: '',
    framed: '',
    keepAlive: o.keepAlive ?? true,
  };
}

/** Every byte value, CR, LF and NUL included: a body is opaque. */
const BINARY = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');

function valid(name: string, answers: Answer[], eof = false): ResponseCase {
  return { name, answers, eof };
}

/** `good` answers, then `wire` answering `method`, refused for its framing before any EOF. */
function refused(name: string, wire: string, good: Answer[] = [], method = 'GET'): ResponseCase {
  return { name, answers: good, bad: { method, wire, refusal: 'framing' }, eof: false };
}

/** A head with one extra field line (raw, as given) and a small Content-Length body. */
function withField(fieldLine: string): string {
  return `HTTP/1.1 200 OK\r\n${fieldLine}\r\nContent-Length: 2\r\n\r\nok`;
}

const OK = withLength('first');

export const VALID_RESPONSES: readonly ResponseCase[] = [
  valid('Content-Length', [withLength('hello', { fields: ['Content-Type: text/plain'] })]),
  valid('Content-Length: 0', [bodyless({ fields: ['Content-Length: 0'] })]),
  valid('Content-Length, binary body of every byte value', [withLength(BINARY.repeat(3))]),
  valid('Content-Length with leading zeros', [{ ...withLength('abc'), wire: 'HTTP/1.1 200 OK\r\ncontent-length: 003\r\n\r\nabc' }]),
  valid('chunked', [chunked(['hello', ' world'])]),
  valid('chunked with extensions', [
    chunked([
      ['hello', ';name=value'],
      ['!', ';a;b="q x"'],
    ]),
  ]),
  valid('chunked with trailers', [chunked(['abc'], { trailers: ['X-Trailer: 1', 'X-Other:  two words '] })]),
  valid('chunked, upper-case hex sizes and leading zeros', [
    {
      method: 'GET',
      wire: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00A\r\n0123456789\r\n0001\r\nZ\r\n0000\r\n\r\n',
      status: 200,
      payload: '0123456789Z',
      framed: '00A\r\n0123456789\r\n0001\r\nZ\r\n0000\r\n\r\n',
      keepAlive: true,
    },
  ]),
  valid('chunked, empty body', [chunked([])]),
  valid('chunked, names and coding in any case', [
    { ...chunked(['ab']), wire: `HTTP/1.1 200 OK\r\ntransfer-ENCODING: Chunked\r\n\r\n${chunkedBody(['ab'])}` },
  ]),
  valid('chunked, one byte per chunk, binary', [chunked(Array.from('a\r\n\0b\xff'))]),
  valid('chunked, chunk data holding CRLFs and a fake last chunk', [chunked(['\r\n0\r\n\r\n', 'x'])]),
  valid('close-delimited', [untilClose('until the end', { fields: ['Content-Type: text/plain'] })], true),
  valid('close-delimited, empty', [untilClose('')], true),
  valid('close-delimited, HTTP/1.0', [untilClose('old style\r\n\r\nHTTP/1.1 200 OK\r\n', { statusLine: 'HTTP/1.0 200 OK' })], true),
  valid(
    'Transfer-Encoding without chunked last: close-delimited',
    [untilClose('gzip bytes', { fields: ['Transfer-Encoding: chunked, gzip'] })],
    true,
  ),
  valid('100 Continue, then the answer', [withLength('ok', { interim: 'HTTP/1.1 100 Continue\r\n\r\n' })]),
  valid('several interim heads with fields', [
    chunked(['late'], {
      interim: 'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n',
      status: 201,
      statusLine: 'HTTP/1.1 201 Created',
    }),
  ]),
  valid('HEAD: Content-Length announced, no body', [bodyless({ method: 'HEAD', fields: ['Content-Length: 10'] })]),
  valid('HEAD: chunked announced, no body', [bodyless({ method: 'HEAD', fields: ['Transfer-Encoding: chunked'] })]),
  valid('HEAD: neither announced, no body (not close-delimited)', [bodyless({ method: 'HEAD', fields: ['Content-Type: text/html'] })]),
  valid('204 with fields that would announce a body', [
    bodyless({ statusLine: 'HTTP/1.1 204 No Content', fields: ['Content-Length: 5', 'X-A: 1'] }),
  ]),
  valid('304 with Content-Length', [bodyless({ statusLine: 'HTTP/1.1 304 Not Modified', fields: ['ETag: "x"', 'Content-Length: 10'] })]),
  valid('304 with chunked', [bodyless({ statusLine: 'HTTP/1.1 304 Not Modified', fields: ['Transfer-Encoding: chunked'] })]),
  valid(
    'pipelined: every framing one after the other',
    [
      withLength('one'),
      chunked(['tw', 'o'], { trailers: ['T: 1'] }),
      bodyless({ statusLine: 'HTTP/1.1 204 No Content' }),
      bodyless({ method: 'HEAD', fields: ['Content-Length: 99'] }),
      bodyless({ statusLine: 'HTTP/1.1 304 Not Modified', fields: ['Content-Length: 3'] }),
      withLength('', { interim: 'HTTP/1.1 100 Continue\r\n\r\n' }),
      withLength('six', { statusLine: 'HTTP/1.1 404 Not Found' }),
      untilClose('last, to the end'),
    ],
    true,
  ),
  valid('pipelined: answers whose bodies look like answers', [withLength('HTTP/1.1 200 OK\r\n\r\n'), chunked(['HTTP/1.1 500 X\r\n\r\n'])]),
  valid('HTTP/1.0 with Content-Length: the connection is not kept', [
    withLength('ten', { statusLine: 'HTTP/1.0 200 OK', fields: ['Connection: keep-alive'], keepAlive: false }),
  ]),
  valid('Connection: close', [withLength('bye', { fields: ['Connection: close'], keepAlive: false })]),
  valid('Connection: close among other tokens', [withLength('bye', { fields: ['Connection: x-a, Close', 'X-A: 1'], keepAlive: false })]),
  valid('Keep-Alive hint', [withLength('k', { fields: ['Keep-Alive: timeout=5, max=100'] }), withLength('again')]),
  valid('field syntax: OWS, tabs, empty value, obs-text, repeats', [
    withLength('f', {
      fields: ['X-A:   spaced\t', 'X-Empty:', 'X-Latin: caf\xe9 \x80\xff', 'Set-Cookie: a=1', 'Set-Cookie: b=2', "X-!#$%&'*+-.^_`|~: t"],
    }),
  ]),
  valid('status line without a reason, with an empty one, with odd characters', [
    withLength('a', { statusLine: 'HTTP/1.1 200' }),
    withLength('b', { statusLine: 'HTTP/1.1 200 ' }),
    withLength('c', { statusLine: 'HTTP/1.1 200 Fine\tand \xe9' }),
  ]),
  valid('unusual status codes', [
    withLength('x', { statusLine: 'HTTP/1.1 299 Custom' }),
    withLength('y', { statusLine: 'HTTP/1.1 599 Custom' }),
    chunked(['z'], { statusLine: 'HTTP/1.1 418 Teapot' }),
  ]),
  valid('a large head under the limit', [
    withLength('big', { fields: Array.from({ length: 150 }, (_, i) => `X-F${i}: ${'v'.repeat(300)}`) }),
  ]),
];

export const MALFORMED_RESPONSES: readonly ResponseCase[] = [
  refused('space before a colon (Content-Length)', 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok'),
  refused('space before a colon (another field)', withField('X-A : 1')),
  refused('tab before a colon', withField('X-A\t: 1')),
  refused('obs-fold', withField('X-A: a\r\n b')),
  refused('obs-fold with a tab', withField('X-A: a\r\n\tb')),
  refused('whitespace before the first field line', 'HTTP/1.1 200 OK\r\n X-A: 1\r\nContent-Length: 2\r\n\r\nok'),
  refused('invalid name character', withField('X@A: 1')),
  refused('control character in a name', withField('X\x01A: 1')),
  refused('non-ASCII in a name', withField('X-\xe9: 1')),
  refused('empty field name', withField(': x')),
  refused('field line without a colon', withField('NoColon')),
  refused('bare CR in a value', withField('X-A: a\rb')),
  refused('bare CR before what reads as another field', withField('X-A: a\rX-B: b')),
  refused('bare LF inside the field lines', 'HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 2\r\n\r\nok'),
  refused('bare LF line endings throughout', 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok'),
  refused('bare LF ending the status line', 'HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok'),
  refused('NUL in a value', withField('X-A: a\0b')),
  refused('NUL in a name', withField('X-\0A: 1')),
  refused('DEL in a value', withField('X-A: a\x7fb')),
  refused('Content-Length and Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
  refused('Transfer-Encoding and Content-Length', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n'),
  refused(
    'Content-Length and Transfer-Encoding on a HEAD answer',
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
    [],
    'HEAD',
  ),
  refused(
    'Content-Length and Transfer-Encoding on a 204',
    'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
  ),
  refused(
    'Content-Length and Transfer-Encoding on a 304',
    'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n',
  ),
  refused('Transfer-Encoding in HTTP/1.0', 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'),
  refused('chunked applied twice', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n'),
  refused(
    'chunked applied twice, in two lines',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  ),
  // Allowed by RFC 9110 §8.6, refused as llhttp refuses it: a relay passes the field on as it came.
  refused('Content-Length repeated with the same value', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc'),
  refused('Content-Length listing the same value twice', 'HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc'),
  refused('conflicting Content-Length lines', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nokk'),
  refused('conflicting Content-Length list', 'HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nokk'),
  ...['-1', '+2', '2.0', '0x10', '', '1 2', 'abc', '2,', '1234567890123456'].map((v) =>
    refused(`invalid Content-Length ${JSON.stringify(v)}`, `HTTP/1.1 200 OK\r\nContent-Length: ${v}\r\n\r\nok`),
  ),
  ...[
    'HTTP/1.1 20 OK',
    'HTTP/1.1 2000 OK',
    'HTTP/1.1 200OK',
    'HTTP/2.0 200 OK',
    'HTTP/1.2 200 OK',
    'HTTP/1.1 099 Low',
    'HTTP/1.1 abc OK',
    'HTTP/1.1  200 OK',
    'HTTP/1.1 200 O\x01K',
    'HTTP/1.1 200 O\rK',
    'HTTP/1.1',
    'HTTP/1.1 ',
    'HTTP/11 200 OK',
    'HTTP/1.1_200 OK',
    'HTTP/1.1 :00 OK',
    'HTTP/1.1 2:0 OK',
    'HTTP/1.1 20: OK',
  ].map((s) => refused(`bad status line ${JSON.stringify(s)}`, `${s}\r\nContent-Length: 2\r\n\r\nok`)),
  refused(
    'a status below 100 where an interim answer could stand',
    'HTTP/1.1 099 Low\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  ),
  refused('lower-case protocol name', 'http/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
  refused('garbage instead of a status line', 'garbage\r\n\r\n'),
  refused('HTML instead of an answer', '<html><body>hello</body></html>'),
  refused('an empty line before the status line', '\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
  refused('leading space before the status line', ' HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
  refused('ICY status line', 'ICY 200 OK\r\n\r\n'),
  ...[
    ['data not followed by CRLF', '3\r\nabcX\r\n0\r\n\r\n'],
    ['data followed straight by the next size', '3\r\nabc0\r\n\r\n'],
    ['data followed by two bytes other than CRLF', '3\r\nabcXY0\r\n\r\n'],
    ['data followed by a bare LF', '3\r\nabc\n0\r\n\r\n'],
    ['data followed by a bare CR', '3\r\nabc\r0\r\n\r\n'],
    ['data longer than its size', '2\r\nabc\r\n0\r\n\r\n'],
  ].map(([what, body]) => refused(`chunked: ${what}`, `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`)),
  ...[
    ['a non-hex size', 'g\r\nabc\r\n0\r\n\r\n'],
    ['a negative size', '-3\r\nabc\r\n0\r\n\r\n'],
    ['a 0x prefix', '0x3\r\nabc\r\n0\r\n\r\n'],
    ['a space before the size', ' 3\r\nabc\r\n0\r\n\r\n'],
    ['whitespace after the size (refused by design)', '3 \r\nabc\r\n0\r\n\r\n'],
    ['whitespace before an extension (refused by design)', '3 ;x=1\r\nabc\r\n0\r\n\r\n'],
    ['an empty size line', '\r\nabc\r\n0\r\n\r\n'],
    ['an extension without a size', ';x\r\nabc\r\n0\r\n\r\n'],
    ['a size too large', 'fffffffffffffff\r\nabc\r\n0\r\n\r\n'],
    ['a size line ending in a bare LF', '3\nabc\r\n0\r\n\r\n'],
    ['a size line with a bare CR', '3\rx\r\nabc\r\n0\r\n\r\n'],
    ['a control character in an extension', '3;a=\x01\r\nabc\r\n0\r\n\r\n'],
    ['an over-long size line', `3;${'x'.repeat(5000)}\r\nabc\r\n0\r\n\r\n`],
    ['a trailer without a colon', '0\r\nBad Trailer\r\n\r\n'],
    ['a space before a trailer colon', '0\r\nX-T : 1\r\n\r\n'],
    ['a folded trailer', '0\r\nX-T: a\r\n b\r\n\r\n'],
    ['a trailer line ending in a bare LF', '0\r\nX-T: 1\n\r\n'],
    ['a NUL in a trailer', '0\r\nX-T: a\0b\r\n\r\n'],
  ].map(([what, body]) => refused(`chunked: ${what}`, `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`)),
  refused('a head over the limit', headOf('HTTP/1.1 200 OK', [`X-Big: ${'b'.repeat(70 * 1024)}`, 'Content-Length: 0'])),
  refused(
    'more header fields than allowed',
    headOf('HTTP/1.1 200 OK', [...Array.from({ length: 201 }, (_, i) => `X-${i}: v`), 'Content-Length: 0']),
  ),
  refused('an unexpected 101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: other\r\nConnection: upgrade\r\n\r\n'),
  refused(
    'an interim head, then a malformed final one',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 0\r\n\r\n',
  ),
  refused('a malformed interim head', 'HTTP/1.1 100 Continue\r\nX A: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
  refused('malformed after good pipelined answers', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok', [
    OK,
    chunked(['second']),
  ]),
  {
    name: 'bytes beyond a complete answer (a smuggled second answer)',
    answers: [OK],
    bad: { method: undefined, wire: 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled', refusal: 'extra' },
    eof: false,
  },
  {
    name: 'a HEAD answer followed by a body',
    answers: [bodyless({ method: 'HEAD', fields: ['Content-Length: 5'] })],
    bad: { method: undefined, wire: 'hello', refusal: 'extra' },
    eof: false,
  },
  {
    name: 'a 204 followed by a body',
    answers: [bodyless({ statusLine: 'HTTP/1.1 204 No Content', fields: ['Content-Length: 5'] })],
    bad: { method: undefined, wire: 'hello', refusal: 'extra' },
    eof: false,
  },
  {
    name: 'a chunked answer followed by stray bytes',
    answers: [chunked(['ab'])],
    bad: { method: undefined, wire: '\r\n', refusal: 'extra' },
    eof: false,
  },
  ...[
    ['Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf'],
    ['chunk data', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'],
    ['chunked body between chunks', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n'],
    ['chunked body in the trailers', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n'],
    ['head', 'HTTP/1.1 200 OK\r\nContent-Len'],
    ['status line', 'HTT'],
  ].map(
    ([what, wire]): ResponseCase => ({
      name: `the connection ends inside the ${what}`,
      answers: [OK],
      bad: { method: 'GET', wire, refusal: 'cut' },
      eof: true,
    }),
  ),
];

/** The whole byte stream of a case. */
export function streamOf(c: ResponseCase): Buffer {
  return Buffer.from(c.answers.map((a) => a.wire).join('') + (c.bad?.wire ?? ''), 'latin1');
}

/** The methods of the requests a case answers, in order. */
export function methodsOf(c: ResponseCase): string[] {
  const methods = c.answers.map((a) => a.method);
  if (c.bad?.method !== undefined) methods.push(c.bad.method);
  return methods;
}
