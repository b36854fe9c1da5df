/**
 * Texts for the word-count tests, with their counts computed *another way* than the
 * code under test: the generator knows which words it wrote, and `referenceCount` walks
 * code points with a hand-written state machine instead of WordCounter's regex.
 */

/** Each entry is exactly one word under the SPEC §4 rule; multi-byte and apostrophes on purpose. */
export const VOCABULARY: readonly string[] = [
  'the',
  'The',
  'THE',
  'a',
  'of',
  'and',
  'to',
  'in',
  'is',
  'it',
  "don't",
  'Don’t',
  "it's",
  'rock’n’roll',
  "l'été",
  "o'clock",
  'naïve',
  'Straße',
  'ß',
  'ΟΔΟΣ',
  'σοφία',
  'Привет',
  'мир',
  '日本語',
  '中文字',
  'Ünïcödé',
  'e\u0301cole',
  'x86',
  '2024',
  '٣٤٥',
  'İstanbul',
  'ǅemal',
  '𝒳𝒴',
  '𠀋𠀌',
  'Ωmega',
  'café',
  'NAÏVE',
  'DON’T',
  "ROCK'N'ROLL",
];

/** Never part of a word, and never join two words: all start and end outside `[\p{L}\p{M}\p{N}]`. */
export const SEPARATORS: readonly string[] = [
  ' ',
  ' ',
  ' ',
  ' ',
  '  ',
  '\n',
  ', ',
  '. ',
  '—',
  ' – ',
  "' ",
  '’ ',
  " '",
  '\t',
  ' 😀 ',
  '!\n',
  '…',
  ' - ',
  '_',
  '\u00a0',
  '\r\n',
];

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedText {
  /** The text in pieces of about `pieceBytes`, generated as they are pulled. */
  pieces: AsyncGenerator<Buffer>;
  /** The counts of what was generated; complete once `pieces` is exhausted. */
  counts: Map<string, number>;
  /** Bytes generated so far. */
  bytes(): number;
}

/**
 * About `totalBytes` of text (it stops at the first piece that reaches it), streamed, with
 * its exact word counts. Memory stays at one piece whatever the size.
 */
export function generateText(totalBytes: number, seed = 1, pieceBytes = 1 << 20): GeneratedText {
  const random = prng(seed);
  const lower = VOCABULARY.map((w) => w.toLowerCase());
  const tally = new Float64Array(VOCABULARY.length);
  const counts = new Map<string, number>();
  let produced = 0;
  async function* pieces(): AsyncGenerator<Buffer> {
    while (produced < totalBytes) {
      const parts: string[] = [];
      let chars = 0;
      while (chars < pieceBytes / 2) {
        const w = Math.floor(random() * VOCABULARY.length);
        tally[w]++;
        const s = SEPARATORS[Math.floor(random() * SEPARATORS.length)];
        parts.push(VOCABULARY[w], s);
        chars += VOCABULARY[w].length + s.length;
      }
      const buf = Buffer.from(parts.join(''), 'utf8');
      produced += buf.length;
      yield buf;
    }
    counts.clear();
    tally.forEach((n, i) => {
      if (n > 0) counts.set(lower[i], (counts.get(lower[i]) ?? 0) + n);
    });
  }
  return { pieces: pieces(), counts, bytes: () => produced };
}

const WORD_CP = /^[\p{L}\p{M}\p{N}]$/u;

function isWordCp(cp: string | undefined): boolean {
  return cp !== undefined && WORD_CP.test(cp);
}

/** The SPEC §4 rule, code point by code point (no regex over the text, no WordCounter). */
export function referenceCount(text: string): Map<string, number> {
  const cps = Array.from(text);
  const counts = new Map<string, number>();
  let i = 0;
  while (i < cps.length) {
    if (!isWordCp(cps[i])) {
      i++;
      continue;
    }
    let word = '';
    for (;;) {
      while (isWordCp(cps[i])) word += cps[i++];
      // One inner apostrophe joins only when a word character follows it.
      if ((cps[i] === "'" || cps[i] === '\u2019') && isWordCp(cps[i + 1])) word += cps[i++];
      else break;
    }
    const key = word.toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** A short text with every trap of the rule, for tests that try every byte offset. */
export const TRAP_SAMPLE =
  "Don't stop—l’été's naïve e\u0301cole x86 ΟΔΟΣ' 'quoted' rock’n’roll 日本語テキスト 2024年, " +
  "it’s’ ''twas 𝒳𝒴z 😀emoji😀 a'b'c 𠀋 o''clock end' ’tis İ ß\n";

/** Sorted entries, for readable deepEqual failures. */
export function sorted(counts: ReadonlyMap<string, number>): Array<[string, number]> {
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
