import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange } from '../../src/worker/static/range.js';

const full = { kind: 'full' };
const none = { kind: 'unsatisfiable' };
const part = (start: number, end: number): object => ({ kind: 'partial', start, end });

describe('parseRange', () => {
  const cases: Array<[string | undefined, number, object]> = [
    [undefined, 100, full],
    ['bytes=0-9', 100, part(0, 9)],
    ['bytes=0-0', 100, part(0, 0)],
    ['bytes=99-99', 100, part(99, 99)],
    ['bytes=10-', 100, part(10, 99)],
    ['bytes=0-', 100, part(0, 99)],
    ['bytes=-10', 100, part(90, 99)],
    ['bytes=-1', 100, part(99, 99)],
    ['bytes=-100', 100, part(0, 99)],
    ['bytes=-500', 100, part(0, 99)],
    ['bytes=50-500', 100, part(50, 99)],
    ['bytes=0-99999999999999999999999', 100, part(0, 99)],
    ['Bytes=1-2', 100, part(1, 2)],
    ['bytes= 1-2 ', 100, part(1, 2)],
    ['bytes=1-2,', 100, part(1, 2)],
    ['bytes=-0', 100, none],
    ['bytes=100-', 100, none],
    ['bytes=100-200', 100, none],
    ['bytes=0-', 0, none],
    ['bytes=-5', 0, none],
    ['bytes=5-3', 100, full],
    ['bytes=0-1,5-6', 100, full],
    ['bytes=0-1, 200-300', 100, full],
    ['bytes=-', 100, full],
    ['bytes=', 100, full],
    ['bytes=a-b', 100, full],
    ['bytes=1.5-2', 100, full],
    ['bytes=+1-2', 100, full],
    ['bytes=0x1-2', 100, full],
    ['items=0-1', 100, full],
    ['bytes 0-1', 100, full],
    ['', 100, full],
  ];
  for (const [header, size, want] of cases) {
    it(`${JSON.stringify(header)} of ${size}`, () => assert.deepEqual(parseRange(header, size), want));
  }
});
