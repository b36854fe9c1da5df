// Grapheme clusters do not depend on the locale; a fixed one keeps results the same everywhere.
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Reverses by user-perceived characters, so emoji ZWJ sequences, flags and combining marks survive. */
export function reverseGraphemes(text: string): string {
  const parts: string[] = [];
  for (const { segment } of segmenter.segment(text)) parts.push(segment);
  return parts.reverse().join('');
}
