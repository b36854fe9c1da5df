/**
 * A large text body with counts known in advance, for /countwords tests and benches: a
 * cycle of lines (ASCII, accents, combining marks, CJK, apostrophes, digits) repeated,
 * streamed in pieces of an odd size so that cuts land inside words and inside UTF-8
 * sequences. The expected counts come from the SPEC §4 rule applied with one plain regex
 * to one cycle, independently of the streaming counter under test.
 */
const LINES = [
  'The quick brown fox jumps over the lazy dog.',
  "Don't stop: it's 4 o'clock, rock'n'roll isn't dead — ’tis' true'",
  'Naïve café crème brûlée; Ünïcödé STRASSE straße ǅemal',
  'e\u0301te\u0301 cafe\u0301 東京 タワー 北京市 Ελληνικά ΣΊΣΥΦΟΣ русский ТЕКСТ',
  '42 3.14 1,000,000 x2 ２０２４ ٣٤٥ १२३ ab12cd',
  'emoji 👍🏽 split📦words and—dashes/slashes_under_scores',
];
const CYCLE = `${LINES.join('\n')}\n`;
const RULE = /[\p{L}\p{M}\p{N}]+(?:['\u2019][\p{L}\p{M}\p{N}]+)*/gu;

export function referenceCounts(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of text.match(RULE) ?? []) {
    const k = w.toLowerCase();
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

export interface Corpus {
  /** Exact byte length of the body. */
  readonly bytes: number;
  /** The word counts the whole body must produce. */
  readonly expected: Map<string, number>;
  /** The body as a stream of pieces of `pieceBytes` (a prime, so cuts wander). */
  body(): AsyncGenerator<Buffer>;
}

/** About `approxBytes` of text (whole cycles). */
export function wordCorpus(approxBytes: number, pieceBytes = 65_521): Corpus {
  const cycle = Buffer.from(CYCLE, 'utf8');
  const perBlock = Math.max(1, Math.floor((1024 * 1024) / cycle.length));
  const block = Buffer.concat(Array.from({ length: perBlock }, () => cycle));
  const blocks = Math.max(1, Math.round(approxBytes / block.length));
  const cycles = perBlock * blocks;
  const expected = new Map<string, number>();
  for (const [w, c] of referenceCounts(CYCLE)) expected.set(w, c * cycles);
  return {
    bytes: block.length * blocks,
    expected,
    async *body() {
      let carry = Buffer.alloc(0);
      for (let b = 0; b < blocks; b++) {
        let buf = carry.length > 0 ? Buffer.concat([carry, block]) : block;
        while (buf.length >= pieceBytes) {
          yield buf.subarray(0, pieceBytes);
          buf = buf.subarray(pieceBytes);
        }
        carry = Buffer.from(buf);
      }
      if (carry.length > 0) yield carry;
    },
  };
}

/** Peak resident set size of a Linux process (VmHWM) in bytes; undefined elsewhere. */
export async function peakRss(pid: number): Promise<number | undefined> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const m = status?.match(/^VmHWM:\s+(\d+) kB/m);
  return m === undefined || m === null ? undefined : Number(m[1]) * 1024;
}
