/**
 * Query parameter validation. Every failure is a 400 whose message states what is
 * allowed (SPEC §2/§3): MISSING_PARAM when a required parameter is absent,
 * INVALID_PARAM when it is present but malformed or out of range.
 */
import { httpError } from '../common/errors.js';
import type { HttpRequest } from '../server/types.js';
import { normalizeSeed, SEED_RULE } from './seeded-random.js';

export interface IntRange {
  readonly min: number;
  readonly max: number;
}

export interface IntParamOptions extends IntRange {
  /** Used when the parameter is absent; without it the parameter is required. */
  readonly default?: number;
}

export interface NumberParamOptions extends IntParamOptions {
  /** The lower bound itself is not allowed: (min, max]. @default false */
  readonly minExclusive?: boolean;
}

export interface TextParamOptions {
  readonly default?: string;
  /** Most UTF-16 code units. */
  readonly maxLength?: number;
  /** The whole value must match; `describe` says what it means in the error. */
  readonly pattern?: RegExp;
  readonly describe?: string;
}

const INTEGER = /^[+-]?\d{1,20}$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?$/;

/** "[0, 10000]" — numbers written plainly (1e15, not 1000000000000000). */
export function rangeText(r: IntRange, minExclusive = false): string {
  return `${minExclusive ? '(' : '['}${fmt(r.min)}, ${fmt(r.max)}]`;
}

function fmt(n: number): string {
  return Math.abs(n) >= 1e6 && Number.isInteger(Math.log10(Math.abs(n))) ? `${n < 0 ? '-' : ''}1e${Math.log10(Math.abs(n))}` : String(n);
}

function raw(req: HttpRequest, name: string): string | null {
  return req.query.get(name);
}

/** An integer in [min, max]. */
export function intParam(req: HttpRequest, name: string, o: IntParamOptions): number {
  const v = raw(req, name);
  const what = `${name} must be an integer in ${rangeText(o)}`;
  if (v === null) {
    if (o.default !== undefined) return o.default;
    throw httpError('MISSING_PARAM', `${name} is required; ${what}`);
  }
  const n = INTEGER.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < o.min || n > o.max) throw httpError('INVALID_PARAM', `${what} (got "${clip(v)}")`);
  return n;
}

/** A finite decimal number in [min, max] or (min, max]. */
export function numberParam(req: HttpRequest, name: string, o: NumberParamOptions): number {
  const v = raw(req, name);
  const what = `${name} must be a number in ${rangeText(o, o.minExclusive)}`;
  if (v === null) {
    if (o.default !== undefined) return o.default;
    throw httpError('MISSING_PARAM', `${name} is required; ${what}`);
  }
  const n = DECIMAL.test(v) ? Number(v) : NaN;
  const low = o.minExclusive === true ? n <= o.min : n < o.min;
  if (!Number.isFinite(n) || low || n > o.max) throw httpError('INVALID_PARAM', `${what} (got "${clip(v)}")`);
  return n;
}

/** A string; empty is allowed unless a pattern forbids it. */
export function textParam(req: HttpRequest, name: string, o: TextParamOptions = {}): string {
  const v = raw(req, name);
  if (v === null) {
    if (o.default !== undefined) return o.default;
    throw httpError('MISSING_PARAM', `${name} is required${o.describe !== undefined ? `; ${name} must be ${o.describe}` : ''}`);
  }
  if (o.maxLength !== undefined && v.length > o.maxLength) {
    throw httpError('INVALID_PARAM', `${name} must be at most ${o.maxLength} characters (got ${v.length})`);
  }
  if (o.pattern !== undefined && !o.pattern.test(v)) {
    throw httpError('INVALID_PARAM', `${name} must be ${o.describe ?? `match ${String(o.pattern)}`} (got "${clip(v)}")`);
  }
  return v;
}

/** Echoing a whole 8 KiB parameter back in an error helps nobody. */
function clip(v: string): string {
  return v.length <= 40 ? v : `${v.slice(0, 40)}…`;
}

/** `seed`: optional; 1–64 chars of [A-Za-z0-9._-] or an integer (seeded-random.ts). */
export function seedParam(req: HttpRequest): string | undefined {
  const raw = req.query.get('seed');
  if (raw === null) return undefined;
  const seed = normalizeSeed(raw);
  if (seed === undefined) throw httpError('INVALID_PARAM', `${SEED_RULE} (got "${raw.slice(0, 40)}")`);
  return seed;
}
