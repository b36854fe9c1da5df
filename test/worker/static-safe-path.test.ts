import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { HttpError } from '../../src/common/errors.js';
import { isInside, isSafeHostname, parseRequestPath, toUrlPath } from '../../src/worker/static/safe-path.js';
import { locate, realRoot, virtualHostRoot } from '../../src/worker/static/locate.js';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';

describe('parseRequestPath (pure)', () => {
  it('splits, decodes once and merges empty segments', () => {
    assert.deepEqual(parseRequestPath('/'), { ok: true, segments: [], trailingSlash: true });
    assert.deepEqual(parseRequestPath('/a/b.txt'), { ok: true, segments: ['a', 'b.txt'], trailingSlash: false });
    assert.deepEqual(parseRequestPath('//a///b/'), { ok: true, segments: ['a', 'b'], trailingSlash: true });
    assert.deepEqual(parseRequestPath('/hello%20world.txt'), { ok: true, segments: ['hello world.txt'], trailingSlash: false });
    assert.deepEqual(parseRequestPath('/caf%C3%A9'), { ok: true, segments: ['café'], trailingSlash: false });
    // Double encoding decodes once only: a literal file name, not a traversal.
    assert.deepEqual(parseRequestPath('/%252e%252e/x'), { ok: true, segments: ['%2e%2e', 'x'], trailingSlash: false });
    assert.deepEqual(parseRequestPath('/a..b'), { ok: true, segments: ['a..b'], trailingSlash: false });
  });

  const rejected: Array<[string, string]> = [
    ['/..', 'FORBIDDEN'],
    ['/../etc/passwd', 'FORBIDDEN'],
    ['/a/../../x', 'FORBIDDEN'],
    ['/%2e%2e/x', 'FORBIDDEN'],
    ['/%2E%2E/x', 'FORBIDDEN'],
    ['/.%2e/x', 'FORBIDDEN'],
    ['/./x', 'FORBIDDEN'],
    ['/..%2fx', 'FORBIDDEN'],
    ['/..%2Fx', 'FORBIDDEN'],
    ['/a%2f..%2f..%2fx', 'FORBIDDEN'],
    ['/..\\x', 'FORBIDDEN'],
    ['/a\\b', 'FORBIDDEN'],
    ['/..%5cx', 'FORBIDDEN'],
    ['/a%5Cb', 'FORBIDDEN'],
    ['/a%00.txt', 'FORBIDDEN'],
    ['/a\0b', 'FORBIDDEN'],
    ['/.env', 'NOT_FOUND'],
    ['/.git/config', 'NOT_FOUND'],
    ['/....//x', 'NOT_FOUND'],
    ['/...', 'NOT_FOUND'],
    ['/%2ehidden', 'NOT_FOUND'],
    ['/a%0d%0aSet-Cookie:x', 'NOT_FOUND'],
    ['/%c0%ae%c0%ae/x', 'BAD_REQUEST'],
    ['/%zz', 'BAD_REQUEST'],
    ['/%', 'BAD_REQUEST'],
    ['etc/passwd', 'BAD_REQUEST'],
    ['*', 'BAD_REQUEST'],
  ];
  for (const [raw, code] of rejected) {
    it(`rejects ${JSON.stringify(raw)} with ${code}`, () => {
      const r = parseRequestPath(raw);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.code, code);
    });
  }

  it('never yields a segment that could climb or split', () => {
    const alphabet = fc.constantFrom(
      '.',
      '/',
      '\\',
      '%',
      '2',
      'e',
      'E',
      'f',
      'F',
      '5',
      'c',
      'C',
      '0',
      'a',
      '%2e',
      '%2f',
      '%5c',
      '%00',
      '%25',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 24 }), (parts) => {
        const r = parseRequestPath(`/${parts.join('')}`);
        if (!r.ok) return;
        for (const s of r.segments) {
          assert.ok(s !== '' && !s.startsWith('.') && !s.includes('/') && !s.includes('\\') && !s.includes('\0'), s);
        }
        assert.ok(isInside('/srv/www', path.resolve('/srv/www', ...r.segments)));
      }),
      { numRuns: 2000 },
    );
  });

  it('isInside', () => {
    assert.equal(isInside('/a/b', '/a/b'), true);
    assert.equal(isInside('/a/b', '/a/b/c'), true);
    assert.equal(isInside('/a/b', '/a/bc'), false);
    assert.equal(isInside('/a/b', '/a'), false);
    assert.equal(isInside('/a/b', '/a/b/..c'), true);
    assert.equal(isInside('/a/b', '/etc'), false);
  });

  it('toUrlPath never produces a protocol-relative URL', () => {
    assert.equal(toUrlPath(['evil.com'], true), '/evil.com/');
    assert.equal(toUrlPath(['a b', 'c?d#'], true), '/a%20b/c%3Fd%23/');
    assert.equal(toUrlPath([], true), '/');
  });

  it('isSafeHostname', () => {
    for (const ok of ['example.com', 'a', 'localhost', '127.0.0.1', 'my-site.example.org']) assert.equal(isSafeHostname(ok), true, ok);
    for (const bad of [
      '',
      '..',
      '.',
      'a..b',
      '.example.com',
      'example.com.',
      '-a.com',
      'EXAMPLE.com',
      'a/b',
      'a\\b',
      '[::1]',
      'a_b',
      `${'a'.repeat(64)}.com`,
      'a b',
    ]) {
      assert.equal(isSafeHostname(bad), false, bad);
    }
  });
});

describe('resolution against a real tree with a secret planted outside', () => {
  // Synchronous: the attempt list below needs the absolute path while tests are declared.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dhttp-static-'));
  const root = path.join(tmp, 'www');

  before(async () => {
    await fs.mkdir(path.join(root, 'sub'), { recursive: true });
    await fs.mkdir(path.join(root, 'example.com'));
    await fs.mkdir(path.join(root, 'empty'));
    await fs.writeFile(path.join(root, 'index.html'), '<h1>home</h1>');
    await fs.writeFile(path.join(root, 'sub', 'a.txt'), 'a');
    await fs.writeFile(path.join(root, 'example.com', 'index.html'), 'vhost');
    await fs.writeFile(path.join(root, '.hidden'), 'hidden');
    await fs.writeFile(path.join(root, '%2e%2e'), 'literal');
    await fs.writeFile(path.join(tmp, 'secret.txt'), SECRET);
    await fs.mkdir(path.join(tmp, 'outside'));
    await fs.writeFile(path.join(tmp, 'outside', 'secret.txt'), SECRET);
    await fs.writeFile(path.join(tmp, 'www-evil'), SECRET); // shares the root's prefix
    await fs.symlink(path.join(tmp, 'secret.txt'), path.join(root, 'link-secret'));
    await fs.symlink(path.join(tmp, 'outside'), path.join(root, 'link-dir'));
    await fs.symlink('../www-evil', path.join(root, 'link-prefix'));
    await fs.symlink('.hidden', path.join(root, 'link-hidden'));
    await fs.symlink('sub/a.txt', path.join(root, 'link-ok'));
    await fs.symlink(path.join(tmp, 'outside'), path.join(root, 'evil.example'));
    await fs.symlink('loop', path.join(root, 'loop'));
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  /** What a request for rawPath resolves to: file content, redirect, or the error code. */
  async function resolve(rawPath: string, hostname = 'localhost'): Promise<string> {
    const parsed = parseRequestPath(rawPath);
    if (!parsed.ok) return `error:${parsed.code}`;
    try {
      const base = await virtualHostRoot(await realRoot(root), hostname);
      const found = await locate(base, parsed.segments, parsed.trailingSlash);
      if (found.kind === 'redirect') return `redirect:${found.location}`;
      return await fs.readFile(found.realPath, 'utf8');
    } catch (err) {
      if (err instanceof HttpError) return `error:${err.code}`;
      throw err;
    }
  }

  const attempts = [
    '/../secret.txt',
    '/../../secret.txt',
    '/sub/../../secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/%2E%2E%2Fsecret.txt',
    '/..\\secret.txt',
    '/..%5csecret.txt',
    '/%2e%2e%5csecret.txt',
    '/secret.txt%00.html',
    '/..%00/secret.txt',
    '/....//secret.txt',
    '/....//....//secret.txt',
    '/..../secret.txt',
    '/%252e%252e/secret.txt',
    '/%252e%252e%252fsecret.txt',
    '/%c0%ae%c0%ae/secret.txt',
    '/%uff0e%uff0e/secret.txt',
    '/．．/secret.txt',
    '//../secret.txt',
    `/${tmp}/secret.txt`,
    `/${encodeURIComponent(`${tmp}/secret.txt`)}`,
    '/link-secret',
    '/link-dir/secret.txt',
    '/link-dir/',
    '/link-prefix',
    '/sub/%2e%2e/%2e%2e/secret.txt',
    '/sub/..;/../secret.txt',
    '/./../secret.txt',
    '/%2e/%2e%2e/secret.txt',
    '/outside/secret.txt',
    '/../www-evil',
    '/link-hidden',
    '/.hidden',
    '/loop',
    '/evil.example/secret.txt',
  ];
  for (const raw of attempts) {
    it(`never serves the secret for ${JSON.stringify(raw)}`, async () => {
      const got = await resolve(raw);
      assert.notEqual(got, SECRET);
      assert.match(got, /^error:(FORBIDDEN|NOT_FOUND|BAD_REQUEST)$/);
    });
  }

  it('symlinks leaving the root are 403, hidden targets 404', async () => {
    assert.equal(await resolve('/link-secret'), 'error:FORBIDDEN');
    assert.equal(await resolve('/link-dir/secret.txt'), 'error:FORBIDDEN');
    assert.equal(await resolve('/link-prefix'), 'error:FORBIDDEN');
    assert.equal(await resolve('/link-hidden'), 'error:NOT_FOUND');
    assert.equal(await resolve('/loop'), 'error:FORBIDDEN');
  });

  it('serves what it should', async () => {
    assert.equal(await resolve('/'), '<h1>home</h1>');
    assert.equal(await resolve('/index.html'), '<h1>home</h1>');
    assert.equal(await resolve('/sub/a.txt'), 'a');
    assert.equal(await resolve('//sub//a.txt'), 'a');
    assert.equal(await resolve('/link-ok'), 'a');
    assert.equal(await resolve('/%252e%252e'), 'literal');
    assert.equal(await resolve('/sub'), 'redirect:/sub/');
    assert.equal(await resolve('/sub/'), 'error:NOT_FOUND');
    assert.equal(await resolve('/empty/'), 'error:NOT_FOUND');
    assert.equal(await resolve('/sub/a.txt/'), 'error:NOT_FOUND');
    assert.equal(await resolve('/nope'), 'error:NOT_FOUND');
  });

  it('virtual hosts: a directory per host, never a symlink out, never a crafted host', async () => {
    assert.equal(await resolve('/', 'example.com'), 'vhost');
    assert.equal(await resolve('/', 'other.com'), '<h1>home</h1>');
    assert.equal(await resolve('/secret.txt', 'evil.example'), 'error:NOT_FOUND');
    for (const host of ['..', '../outside', '.', 'sub/..', '%2e%2e', 'link-dir', 'sub']) {
      const got = await resolve('/secret.txt', host);
      assert.notEqual(got, SECRET, host);
    }
  });
});
