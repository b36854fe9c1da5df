import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ifRangeAllows, isNotModified, parseEtagList, validatorsFor, weakMatch } from '../../src/worker/static/conditional.js';

const mtimeMs = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const v = validatorsFor(1234, mtimeMs);
const lm = v.lastModified;

describe('validators', () => {
  it('strong ETag from size and mtime, Last-Modified in whole seconds', () => {
    assert.equal(v.etag, `"4d2-${Math.floor(mtimeMs).toString(16)}"`);
    assert.equal(lm, 'Tue, 02 Jan 2024 03:04:05 GMT');
    assert.notEqual(validatorsFor(1235, mtimeMs).etag, v.etag);
    assert.notEqual(validatorsFor(1234, mtimeMs + 1).etag, v.etag);
  });

  it('parses entity-tag lists', () => {
    assert.equal(parseEtagList(' * '), '*');
    assert.deepEqual(parseEtagList('"a", W/"b",,"c,d"'), [
      { weak: false, opaque: '"a"' },
      { weak: true, opaque: '"b"' },
      { weak: false, opaque: '"c,d"' },
    ]);
    assert.equal(parseEtagList('"unterminated'), null);
    assert.equal(parseEtagList('bare'), null);
  });

  it('weak comparison', () => {
    assert.equal(weakMatch(v.etag, v.etag), true);
    assert.equal(weakMatch(`W/${v.etag}`, v.etag), true);
    assert.equal(weakMatch(`"x", ${v.etag}`, v.etag), true);
    assert.equal(weakMatch('*', v.etag), true);
    assert.equal(weakMatch('"x"', v.etag), false);
    assert.equal(weakMatch('garbage', v.etag), false);
  });
});

describe('isNotModified', () => {
  const cases: Array<[string, { ifNoneMatch?: string; ifModifiedSince?: string }, boolean]> = [
    ['no conditions', {}, false],
    ['matching If-None-Match', { ifNoneMatch: v.etag }, true],
    ['weak If-None-Match', { ifNoneMatch: `W/${v.etag}` }, true],
    ['list with a match', { ifNoneMatch: `"nope", ${v.etag}` }, true],
    ['star', { ifNoneMatch: '*' }, true],
    ['other etag', { ifNoneMatch: '"nope"' }, false],
    ['INM wins over a matching IMS', { ifNoneMatch: '"nope"', ifModifiedSince: lm }, false],
    ['IMS equal to Last-Modified', { ifModifiedSince: lm }, true],
    ['IMS later', { ifModifiedSince: new Date(mtimeMs + 60_000).toUTCString() }, true],
    ['IMS one second earlier', { ifModifiedSince: new Date(mtimeMs - 1000).toUTCString() }, false],
    ['IMS invalid', { ifModifiedSince: 'yesterday-ish' }, false],
  ];
  for (const [name, h, want] of cases) it(name, () => assert.equal(isNotModified(h, v), want));
});

describe('ifRangeAllows', () => {
  const cases: Array<[string, string | undefined, boolean]> = [
    ['absent', undefined, true],
    ['same strong etag', v.etag, true],
    ['weak etag never matches', `W/${v.etag}`, false],
    ['other etag', '"nope"', false],
    ['exact date', lm, true],
    ['later date', new Date(mtimeMs + 5000).toUTCString(), false],
    ['earlier date', new Date(mtimeMs - 5000).toUTCString(), false],
    ['garbage', 'garbage', false],
  ];
  for (const [name, h, want] of cases) it(name, () => assert.equal(ifRangeAllows(h, v), want));
});
