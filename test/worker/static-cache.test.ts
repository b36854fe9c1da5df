import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FileCache } from '../../src/worker/static/file-cache.js';
import { contentTypeFor } from '../../src/worker/static/mime.js';

const id = (size: number, mtimeMs = 1, ino = 1): { size: number; mtimeMs: number; ino: number } => ({ size, mtimeMs, ino });

describe('FileCache', () => {
  it('hits only while size, mtime and inode match', () => {
    const c = new FileCache(100);
    c.set('/a', id(3), Buffer.from('abc'));
    assert.equal(c.get('/a', id(3))?.toString(), 'abc');
    assert.equal(c.get('/a', id(3, 2)), undefined); // edited
    assert.equal(c.size, 0);
    assert.equal(c.bytes, 0);
    c.set('/a', id(3), Buffer.from('abc'));
    assert.equal(c.get('/a', id(3, 1, 9)), undefined); // replaced by rename
    assert.equal(c.get('/b', id(3)), undefined);
  });

  it('stays within its byte budget, evicting the least recently used', () => {
    const c = new FileCache(10);
    c.set('/a', id(4), Buffer.alloc(4));
    c.set('/b', id(4), Buffer.alloc(4));
    assert.ok(c.get('/a', id(4))); // a is now most recent
    c.set('/c', id(4), Buffer.alloc(4)); // evicts b
    assert.equal(c.bytes, 8);
    assert.equal(c.get('/b', id(4)), undefined);
    assert.ok(c.get('/a', id(4)));
    assert.ok(c.get('/c', id(4)));
    c.set('/huge', id(11), Buffer.alloc(11)); // larger than the budget: never cached
    assert.equal(c.get('/huge', id(11)), undefined);
    c.set('/a', id(2, 5), Buffer.alloc(2)); // replacing an entry adjusts the total
    assert.equal(c.bytes, 6);
    c.clear();
    assert.equal(c.bytes, 0);
  });
});

describe('contentTypeFor', () => {
  const cases: Array<[string, string]> = [
    ['index.html', 'text/html; charset=utf-8'],
    ['A.HTML', 'text/html; charset=utf-8'],
    ['app.mjs', 'text/javascript; charset=utf-8'],
    ['data.json', 'application/json; charset=utf-8'],
    ['logo.svg', 'image/svg+xml; charset=utf-8'],
    ['pic.jpeg', 'image/jpeg'],
    ['mod.wasm', 'application/wasm'],
    ['font.woff2', 'font/woff2'],
    ['clip.mp4', 'video/mp4'],
    ['README.md', 'text/markdown; charset=utf-8'],
    ['Makefile', 'application/octet-stream'],
    ['archive.tar.unknown', 'application/octet-stream'],
  ];
  for (const [name, type] of cases) it(name, () => assert.equal(contentTypeFor(name), type));
});
