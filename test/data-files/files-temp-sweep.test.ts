/**
 * A starting worker removes the temp files of /createfile writes a crash interrupted —
 * only its own exact temp-name pattern, only regular files, only directly in the data dir,
 * and only when older than STALE_TEMP_AGE_MS (a younger one may belong to a live worker
 * sharing the directory).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { call } from '../helpers/http.js';
import { startWorker } from '../helpers/processes.js';
import { STALE_TEMP_AGE_MS, sweepStaleTempFiles, tempFileName, TEMP_NAME } from '../../src/data-files/temp-files.js';
import { validateFileName } from '../../src/data-files/file-name.js';

const HOUR = 60 * 60 * 1000;
/** Well past the stale age. */
const OLD = new Date(Date.now() - STALE_TEMP_AGE_MS - 2 * HOUR);

async function plant(file: string, content = 'partial'): Promise<void> {
  await fs.writeFile(file, content);
}
async function age(file: string): Promise<void> {
  await fs.utimes(file, OLD, OLD);
}
async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}

describe('temp file names', () => {
  it('tempFileName() always matches TEMP_NAME and is never a valid data file name', () => {
    for (let i = 0; i < 200; i++) {
      const name = tempFileName();
      assert.match(name, TEMP_NAME);
      assert.ok(name.includes(`-${process.pid}-`));
      assert.throws(() => validateFileName(name));
    }
  });

  it('TEMP_NAME rejects look-alikes', () => {
    for (const name of [
      'tmp-1-0123456789abcdef',
      '.tmp-1-0123456789abcdef.bak',
      '.tmp-1-0123456789ABCDEF',
      '.tmp-1-0123456789abcde',
      '.tmp-1-0123456789abcdef0',
      '.tmp--0123456789abcdef',
      '.tmp-0-0123456789abcdef',
      '.tmp-x-0123456789abcdef',
      'x.tmp-1-0123456789abcdef',
      '.tmp-1-0123456789abcdef\n',
      '.tmp-1-0123456789abcdeg',
      '.TMP-1-0123456789abcdef',
    ]) {
      assert.doesNotMatch(name, TEMP_NAME, JSON.stringify(name));
    }
  });
});

describe('sweepStaleTempFiles', () => {
  it('a missing data dir is nothing to sweep and is not created', async () => {
    const missing = path.join(os.tmpdir(), `dhttp-missing-${process.pid}-${Date.now()}`);
    assert.deepEqual(await sweepStaleTempFiles(missing), { removed: 0, kept: 0 });
    assert.equal(await exists(missing), false);
  });

  it('concurrent sweeps of one dir remove each stale file once, without errors', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dhttp-sweep-'));
    try {
      for (let i = 0; i < 20; i++) {
        const f = path.join(dir, `.tmp-${4_000_000 + i}-${'ab'.repeat(7)}${String(i).padStart(2, '0')}`);
        await plant(f);
        await age(f);
      }
      const results = await Promise.all([sweepStaleTempFiles(dir), sweepStaleTempFiles(dir), sweepStaleTempFiles(dir)]);
      assert.equal(
        results.reduce((n, r) => n + r.removed, 0),
        20,
      );
      assert.deepEqual(await fs.readdir(dir), []);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a starting worker (real process) sweeps stale temp files', () => {
  let root: string;
  let dataDir: string;
  let outside: string;
  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'dhttp-sweep-'));
    dataDir = path.join(root, 'data');
    outside = path.join(root, 'outside');
    await fs.mkdir(dataDir);
    await fs.mkdir(outside);
  });
  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('removes only old files of the exact temp pattern, never a fresh one, a look-alike, a link or a dir', async (t) => {
    const at = (name: string): string => path.join(dataDir, name);
    // Stale: interrupted writes of a dead worker and of a pid that is alive (this test
    // process) — the pid is deliberately not what decides.
    const stale = ['.tmp-999999-0123456789abcdef', `.tmp-${process.pid}-00000000deadbeef`];
    for (const n of stale) {
      await plant(at(n));
      await age(at(n));
    }
    // Fresh: another live worker may be writing it right now, whatever its pid says.
    const fresh = '.tmp-999998-fedcba9876543210';
    await plant(at(fresh));
    // Ordinary files with similar names, all old.
    const lookAlikes = [
      'tmp-999999-0123456789abcdef',
      '.tmp-999999-0123456789abcdef.bak',
      '.tmp-999999-0123456789ABCDEF',
      '.tmp-999999-0123456789abcde',
      'x.tmp-999999-0123456789abcdef',
      '.tmp-worker-0123456789abcdef',
      'data.txt',
    ];
    for (const n of lookAlikes) {
      await plant(at(n), 'keep me');
      await age(at(n));
    }
    // An old symlink named like a temp file, pointing out of the data dir.
    const target = path.join(outside, 'victim.txt');
    await plant(target, 'victim');
    const link = '.tmp-1-aaaaaaaaaaaaaaaa';
    await fs.symlink(target, at(link));
    await fs.lutimes(at(link), OLD, OLD);
    await age(target);
    // An old directory named like a temp file, holding an old temp-named file: no recursion.
    const dirLike = '.tmp-2-bbbbbbbbbbbbbbbb';
    await fs.mkdir(at(dirLike));
    const nested = path.join(at(dirLike), '.tmp-3-cccccccccccccccc');
    await plant(nested);
    await age(nested);
    await fs.utimes(at(dirLike), OLD, OLD);
    // An old temp file outside the data dir.
    const outsideTemp = path.join(outside, '.tmp-4-dddddddddddddddd');
    await plant(outsideTemp);
    await age(outsideTemp);

    const worker = await startWorker(['--threads', '1', '--data-dir', dataDir], { context: t });

    for (const n of stale) assert.equal(await exists(at(n)), false, `${n} (stale) removed`);
    assert.equal(await exists(at(fresh)), true, 'a fresh temp file is kept');
    for (const n of lookAlikes) assert.equal(await fs.readFile(at(n), 'utf8'), 'keep me', `${n} kept`);
    assert.ok((await fs.lstat(at(link))).isSymbolicLink(), 'the symlink is kept');
    assert.equal(await fs.readFile(target, 'utf8'), 'victim', 'its target is untouched');
    assert.ok((await fs.lstat(at(dirLike))).isDirectory());
    assert.equal(await exists(nested), true, 'nothing below the data dir is touched');
    assert.equal(await exists(outsideTemp), true, 'nothing outside the data dir is touched');

    const logged = worker.lines
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      })
      .find((m) => m.msg === 'removed stale temp files');
    assert.ok(logged, `a log line reports the sweep:\n${worker.lines.join('\n')}`);
    assert.equal(logged.removed, stale.length);
    assert.equal(logged.kept, 1);

    // The worker still writes files as before, leaving no temp file of its own.
    const r = await call(`${worker.url}/createfile?name=new.txt&content=hi&repeat=3`);
    assert.equal(r.status, 201, r.text);
    assert.equal(await fs.readFile(at('new.txt'), 'utf8'), 'hihihi');
    const temps = (await fs.readdir(dataDir)).filter((n) => TEMP_NAME.test(n)).sort();
    assert.deepEqual(temps, [fresh, link, dirLike].sort());

    const { code } = await worker.stop();
    assert.equal(code, 0);
  });
});
