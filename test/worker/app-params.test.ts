/** Query parameter validation: ranges, defaults, malformed values, messages with the range. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpRequest } from '../../src/server/types.js';
import { HttpError } from '../../src/common/errors.js';
import { intParam, numberParam, rangeText, textParam } from '../../src/jobs/params.js';

const req = (query: string): HttpRequest => ({ query: new URLSearchParams(query) }) as unknown as HttpRequest;

function fails(fn: () => unknown, code: string, part: string): void {
  assert.throws(fn, (err: unknown) => err instanceof HttpError && err.code === code && err.status === 400 && err.message.includes(part));
}

describe('params', () => {
  it('rangeText writes big powers of ten compactly', () => {
    assert.equal(rangeText({ min: 0, max: 10_000 }), '[0, 10000]');
    assert.equal(rangeText({ min: -1e15, max: 1e15 }), '[-1e15, 1e15]');
    assert.equal(rangeText({ min: 0, max: 60 }, true), '(0, 60]');
  });

  it('intParam: accepts integers in range, defaults, rejects the rest with the range', () => {
    const r = { min: 0, max: 10 };
    assert.equal(intParam(req('n=7'), 'n', r), 7);
    assert.equal(intParam(req('n=%2B3'), 'n', r), 3);
    assert.equal(intParam(req('n=0010'), 'n', r), 10);
    assert.equal(intParam(req(''), 'n', { ...r, default: 4 }), 4);
    fails(() => intParam(req(''), 'n', r), 'MISSING_PARAM', '[0, 10]');
    for (const bad of ['11', '-1', '1.5', '1e2', 'abc', '', ' 1', '0x1', '99999999999999999999']) {
      fails(() => intParam(req(`n=${encodeURIComponent(bad)}`), 'n', r), 'INVALID_PARAM', 'n must be an integer in [0, 10]');
    }
  });

  it('numberParam: decimals, exclusive lower bound, no NaN/Infinity', () => {
    const r = { min: 0, max: 60, minExclusive: true };
    assert.equal(numberParam(req('s=0.5'), 's', r), 0.5);
    assert.equal(numberParam(req('s=60'), 's', r), 60);
    assert.equal(numberParam(req('s=.25'), 's', r), 0.25);
    assert.equal(numberParam(req('s=1e1'), 's', r), 10);
    for (const bad of ['0', '-1', '60.01', 'NaN', 'Infinity', '', '1,5', '0x10']) {
      fails(() => numberParam(req(`s=${encodeURIComponent(bad)}`), 's', r), 'INVALID_PARAM', '(0, 60]');
    }
    assert.equal(numberParam(req('s=0'), 's', { min: 0, max: 60 }), 0);
  });

  it('textParam: required, default, pattern, length', () => {
    assert.equal(textParam(req('t='), 't'), '');
    assert.equal(textParam(req(''), 't', { default: 'x' }), 'x');
    fails(() => textParam(req(''), 't'), 'MISSING_PARAM', 't is required');
    fails(() => textParam(req('t=a%20b'), 't', { pattern: /^\w+$/, describe: 'a word' }), 'INVALID_PARAM', 't must be a word');
    fails(() => textParam(req('t=abcd'), 't', { maxLength: 3 }), 'INVALID_PARAM', 'at most 3');
  });
});
