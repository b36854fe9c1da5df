import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HttpError } from '../../src/common/errors.js';
import { validateFileName } from '../../src/data-files/file-name.js';
import { createFile, deleteFile, openDataFile } from '../../src/data-files/data-files.js';

const ORIGINAL = 'outside-original';

const BAD_NAMES = [
  '',
  '.',
  '..',
  '...',
  '../victim.txt',
  '..%2fvictim.txt',
  'a/../victim.txt',
  '/etc/passwd',
  '../../outside/victim.txt',
  '..\\victim.txt',
  'a\\b',
  'a/b',
  'victim.txt\0',
  'a\0b',
  '.hidden',
  '.tmp-1-abc',
  '.env',
  'a..b',
  'x..',
  'a\nb',
  'a\rb',
  'tab\there',
  '\u007f',
  'x'.repeat(256),
  'é'.repeat(128),
  '\ud800lone',
  'sub/',
  '/',
];

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof HttpError) return err.code;
    throw err;
  }
}

describe('validateFileName', () => {
  for (const bad of BAD_NAMES) {
    it(`rejects ${JSON.stringify(bad).slice(0, 40)}`, () => {
      assert.throws(
        () => validateFileName(bad),
        (err: unknown) => err instanceof HttpError && err.code === 'INVALID_NAME' && err.status === 400,
      );
    });
  }
  it('rejects non-strings', () => {
    assert.throws(() => validateFileName(undefined), HttpError);
    assert.throws(() => validateFileName(42), HttpError);
  });
  for (const good of [
    'a',
    'a.txt',
    'report-2024_v2.csv',
    'with space',
    'x'.repeat(255),
    'é'.repeat(127),
    'a.b.c',
    '%2e%2e',
    'emoji-😀',
    'trailing.',
  ]) {
    it(`accepts ${JSON.stringify(good).slice(0, 40)}`, () => assert.equal(validateFileName(good), good));
  }
});

describe('data files never touch anything outside the data dir', () => {
  let tmp: string;
  let dataDir: string;
  let outside: string;

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dhttp-files-'));
    dataDir = path.join(tmp, 'data');
    outside = path.join(tmp, 'outside');
    await fs.mkdir(outside);
    await fs.writeFile(path.join(outside, 'victim.txt'), ORIGINAL);
    await fs.writeFile(path.join(tmp, 'victim.txt'), ORIGINAL);
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  async function assertOutsideIntact(): Promise<void> {
    assert.equal(await fs.readFile(path.join(outside, 'victim.txt'), 'utf8'), ORIGINAL);
    assert.equal(await fs.readFile(path.join(tmp, 'victim.txt'), 'utf8'), ORIGINAL);
  }

  it('creates the data dir when missing', async () => {
    assert.deepEqual(await createFile(dataDir, 'first.txt', 'ab', 3), { name: 'first.txt', bytes: 6 });
    assert.equal(await fs.readFile(path.join(dataDir, 'first.txt'), 'utf8'), 'ababab');
  });

  it('bad names are refused by create, delete and open', async () => {
    for (const bad of BAD_NAMES) {
      assert.equal(await codeOf(createFile(dataDir, bad, 'PWNED', 1)), 'INVALID_NAME', bad);
      assert.equal(await codeOf(deleteFile(dataDir, bad)), 'INVALID_NAME', bad);
      assert.equal(await codeOf(openDataFile(dataDir, bad)), 'INVALID_NAME', bad);
    }
    await assertOutsideIntact();
    const left = await fs.readdir(dataDir);
    assert.deepEqual(left.sort(), ['first.txt']);
  });

  it('a planted symlink is replaced, never written through, deleted as a link only, never read through', async () => {
    const link = path.join(dataDir, 'planted.txt');
    await fs.symlink(path.join(outside, 'victim.txt'), link);
    assert.equal(await codeOf(openDataFile(dataDir, 'planted.txt')), 'FORBIDDEN');
    assert.deepEqual(await deleteFile(dataDir, 'planted.txt'), { name: 'planted.txt', bytes: 0 });
    await assertOutsideIntact();

    await fs.symlink(path.join(outside, 'victim.txt'), link);
    await createFile(dataDir, 'planted.txt', 'PWNED', 2);
    await assertOutsideIntact();
    const st = await fs.lstat(link);
    assert.equal(st.isSymbolicLink(), false);
    assert.equal(await fs.readFile(link, 'utf8'), 'PWNEDPWNED');
    await deleteFile(dataDir, 'planted.txt');
  });

  it('a symlinked directory entry is not a way out', async () => {
    await fs.symlink(outside, path.join(dataDir, 'outdir'));
    assert.equal(await codeOf(createFile(dataDir, 'outdir', 'PWNED', 1)), 'ok');
    assert.deepEqual(await fs.readdir(outside), ['victim.txt']);
    await deleteFile(dataDir, 'outdir');
    await assertOutsideIntact();
  });

  it('delete of a missing file or a directory is FILE_NOT_FOUND', async () => {
    assert.equal(await codeOf(deleteFile(dataDir, 'missing.txt')), 'FILE_NOT_FOUND');
    await fs.mkdir(path.join(dataDir, 'adir'));
    assert.equal(await codeOf(deleteFile(dataDir, 'adir')), 'FILE_NOT_FOUND');
    assert.equal(await codeOf(openDataFile(dataDir, 'adir')), 'FILE_NOT_FOUND');
    assert.equal(await codeOf(openDataFile(dataDir, 'missing.txt')), 'FILE_NOT_FOUND');
    assert.equal(await codeOf(createFile(dataDir, 'adir', 'x', 1)), 'INVALID_NAME');
    // The failed create left no temp file behind.
    assert.deepEqual(
      (await fs.readdir(dataDir)).filter((n) => n.startsWith('.')),
      [],
    );
  });

  it('size limit, repeat validation, empty files', async () => {
    assert.equal(await codeOf(createFile(dataDir, 'big', 'abcd', 1000, { maxBytes: 3999 })), 'PAYLOAD_TOO_LARGE');
    assert.equal(await codeOf(createFile(dataDir, 'big', 'é', 2, { maxBytes: 3 })), 'PAYLOAD_TOO_LARGE');
    assert.equal(await codeOf(createFile(dataDir, 'r', 'x', -1)), 'INVALID_PARAM');
    assert.equal(await codeOf(createFile(dataDir, 'r', 'x', 1.5)), 'INVALID_PARAM');
    assert.deepEqual(await createFile(dataDir, 'empty', 'x', 0), { name: 'empty', bytes: 0 });
    assert.deepEqual(await createFile(dataDir, 'empty2', '', 1000), { name: 'empty2', bytes: 0 });
    assert.equal((await fs.stat(path.join(dataDir, 'empty'))).size, 0);
    await assert.rejects(fs.access(path.join(dataDir, 'big')));
  });

  it('repeat writes the exact bytes, UTF-8 included, and open streams them back', async () => {
    const unit = 'héllo wörld 😀 ';
    const res = await createFile(dataDir, 'words.txt', unit, 10_001);
    assert.equal(res.bytes, Buffer.byteLength(unit) * 10_001);
    const chunks: Buffer[] = [];
    for await (const c of await openDataFile(dataDir, 'words.txt')) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString('utf8'), unit.repeat(10_001));
    assert.deepEqual(await deleteFile(dataDir, 'words.txt'), { name: 'words.txt', bytes: res.bytes });
    assert.equal(await codeOf(deleteFile(dataDir, 'words.txt')), 'FILE_NOT_FOUND');
  });

  it('an aborted create leaves the old file and no temp file', async () => {
    await createFile(dataDir, 'keep.txt', 'old', 1);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(createFile(dataDir, 'keep.txt', 'new', 1_000_000, { signal: ac.signal }));
    assert.equal(await fs.readFile(path.join(dataDir, 'keep.txt'), 'utf8'), 'old');
    assert.deepEqual(
      (await fs.readdir(dataDir)).filter((n) => n.startsWith('.')),
      [],
    );
  });
});
