import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { negotiateEncoding } from '../../src/server/accept-encoding.js';
import { isCompressibleType, variantEtag } from '../../src/server/compress.js';

describe('Accept-Encoding negotiation', () => {
  const cases: [string | undefined, 'br' | 'gzip' | null][] = [
    [undefined, null], // no header: identity
    ['', null], // empty: identity only
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'], // equal weights: brotli
    ['gzip, deflate, br, zstd', 'br'],
    ['GZIP', 'gzip'], // case-insensitive
    ['x-gzip', 'gzip'],
    ['deflate', null],
    ['*', 'br'],
    ['*;q=0', null],
    ['*;q=0, gzip', 'gzip'],
    ['*, br;q=0', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br;q=0.8, gzip;q=0.5', 'br'],
    ['br;q=1.0, gzip;q=1', 'br'],
    ['br;q=0.001, gzip;q=0', 'br'],
    ['br;q=0, gzip;q=0', null],
    ['br;Q=0, gzip', 'gzip'], // the parameter name is case-insensitive
    ['br ; q=0 , gzip ; q=0.3', 'gzip'], // whitespace around ; and ,
    ['identity;q=0', null], // identity refused, nothing else acceptable: identity all the same
    ['gzip;q=0.5, identity', null], // the client prefers identity
    ['gzip, identity;q=0.5', 'gzip'],
    ['gzip;q=0.5, identity;q=0.5', 'gzip'], // a tie goes to the coding
    ['br;q=2', null], // malformed weights: the element is ignored
    ['br;q=0.1234, gzip', 'gzip'],
    ['br;q=1.5, gzip;q=0.4', 'gzip'],
    ['br;q=, gzip;q=0.4', 'gzip'],
    ['br;level=1', 'br'], // other parameters are ignored
    [',,gzip,,', 'gzip'], // empty list elements
    ['gzip;q=0, gzip;q=0.5', 'gzip'], // repeated: the highest weight
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${String(expected)}`, () => assert.equal(negotiateEncoding(header), expected));
  }

  it('never throws and only ever answers br, gzip or null (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        const r = negotiateEncoding(header);
        assert.ok(r === null || r === 'br' || r === 'gzip');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('compressible types', () => {
  it('text and structured text yes; images, video, audio, archives, woff fonts and unknown no', () => {
    for (const t of [
      'text/html; charset=utf-8',
      'text/plain',
      'text/css',
      'text/javascript; charset=utf-8',
      'application/json; charset=utf-8',
      'application/manifest+json',
      'application/ld+json',
      'application/xml',
      'image/svg+xml; charset=utf-8',
      'application/wasm',
      'font/ttf',
      'text/plain; version=0.0.4; charset=utf-8',
    ]) {
      assert.ok(isCompressibleType(t), t);
    }
    for (const t of [
      'image/png',
      'image/jpeg',
      'image/webp',
      'image/avif',
      'video/mp4',
      'audio/mpeg',
      'application/zip',
      'application/gzip',
      'font/woff2',
      'font/woff',
      'application/pdf',
      'application/octet-stream',
      '',
    ]) {
      assert.ok(!isCompressibleType(t), t);
    }
  });

  it('compressed representations get a weak, suffixed entity tag', () => {
    assert.equal(variantEtag('"5-abc"', 'br'), 'W/"5-abc-br"');
    assert.equal(variantEtag('"5-abc"', 'gzip'), 'W/"5-abc-gzip"');
    assert.equal(variantEtag('W/"x"', 'br'), 'W/"x-br"');
  });
});
