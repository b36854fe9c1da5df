/**
 * Durations and sizes as operators write them. Durations always need a unit, because a
 * bare "30" is ambiguous between nginx (seconds) and Node (milliseconds); only "0" is
 * unit-free since it means the same thing everywhere. Sizes may be plain bytes.
 */

const DURATION_UNITS: Readonly<Record<string, number>> = Object.freeze({
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
});

/** IEC units are powers of 1024; SI units are powers of 1000, as the names promise. */
const SIZE_UNITS: Readonly<Record<string, number>> = Object.freeze({
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  // nginx-style single letters are IEC, like nginx itself.
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
});

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  const m = DURATION_RE.exec(t);
  if (m === null) return undefined;
  const ms = Number(m[1]) * DURATION_UNITS[m[2]];
  // Sub-millisecond precision is meaningless for every timer we drive.
  return Number.isFinite(ms) && Number.isInteger(ms) ? ms : undefined;
}

/** Bytes, or undefined when `text` is not a size. */
export function parseSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text.trim());
  if (m === null) return undefined;
  const unit = m[2].toLowerCase();
  const factor = unit === '' ? 1 : SIZE_UNITS[unit];
  if (factor === undefined) return undefined;
  const bytes = Number(m[1]) * factor;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** An exact spelling, seconds up to ten minutes (as timeouts are usually quoted): 60000 → "60s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, factor] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms % factor === 0 && (unit !== 'm' || ms >= 600_000)) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}

/** The shortest exact IEC spelling: 8192 → "8KiB", 1000 → "1000". */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [
    ['TiB', 1024 ** 4],
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes !== 0 && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}
