/**
 * The data directory of /createfile, /deletefile and /countwords?file=.
 *
 * Safety: names go through validateFileName (one plain component), paths are
 * `path.join(realDataDir, name)` and checked to sit directly in the real data dir.
 * Symlinks planted in the data dir are never followed:
 * - create writes a fresh temp file (O_CREAT|O_EXCL|O_NOFOLLOW) and rename()s it over
 *   the name; rename replaces a symlink's directory entry, not what it points to;
 * - delete lstat()s and unlink()s, which removes a link itself, never its target;
 * - open uses O_NOFOLLOW, so a link is refused (403) rather than read through.
 */
import { constants as fsc, type ReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { httpError } from '../common/errors.js';
import { validateFileName } from './file-name.js';
import { tempFileName } from './temp-files.js';

export const DATA_FILE_DEFAULTS = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
});

export interface CreateFileOptions {
  /**
   * Largest file /createfile may write (content bytes × repeat); more → 413.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number;
  /** Stops writing (and removes the temp file) when aborted, e.g. the client left. */
  signal?: AbortSignal;
}

export interface FileResult {
  readonly name: string;
  readonly bytes: number;
}

/** Bytes handed to one write() call: whole repetitions of the content, about this much. */
const WRITE_BLOCK = 64 * 1024;
const NOFOLLOW = fsc.O_NOFOLLOW ?? 0;
const CREATE_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | NOFOLLOW;
// NONBLOCK: opening a FIFO someone made in the data dir must not hang the worker.
const READ_FLAGS = fsc.O_RDONLY | NOFOLLOW | (fsc.O_NONBLOCK ?? 0);

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** Creates the data dir when missing and returns `realDataDir/name`, containment-checked. */
async function targetPath(dataDir: string, name: string): Promise<{ dir: string; file: string }> {
  validateFileName(name);
  await fs.mkdir(dataDir, { recursive: true });
  const dir = await fs.realpath(dataDir);
  const file = path.join(dir, name);
  if (path.dirname(file) !== dir || path.basename(file) !== name) {
    throw httpError('INVALID_NAME', 'name does not denote a file directly in the data dir');
  }
  return { dir, file };
}

/**
 * Writes `content` repeated `repeat` times to `name`, atomically: a concurrent reader sees
 * the old file or the complete new one, never a part. The body is produced block by block
 * (never one giant string) and each write is awaited, so memory stays at one block.
 */
export async function createFile(
  dataDir: string,
  name: string,
  content: string,
  repeat: number,
  options: CreateFileOptions = {},
): Promise<FileResult> {
  validateFileName(name);
  const maxBytes = options.maxBytes ?? DATA_FILE_DEFAULTS.maxBytes;
  if (!Number.isSafeInteger(repeat) || repeat < 0) throw httpError('INVALID_PARAM', 'repeat must be an integer ≥ 0');
  const unit = Buffer.from(content, 'utf8');
  const total = unit.length * repeat;
  if (total > maxBytes) {
    throw httpError('PAYLOAD_TOO_LARGE', `content × repeat is ${total} bytes; at most ${maxBytes} allowed`);
  }
  const { dir, file } = await targetPath(dataDir, name);
  // The leading dot makes the temp name one that validateFileName rejects, so it can
  // never collide with (or be read, replaced or deleted as) a real data file. A crash
  // leaves it behind; sweepStaleTempFiles (temp-files.ts) removes it at a later start.
  const tmp = path.join(dir, tempFileName());
  const fh = await fs.open(tmp, CREATE_FLAGS, 0o644);
  let renamed = false;
  try {
    await writeRepeated(fh, unit, repeat, options.signal);
    await fh.sync();
    await fh.close();
    await fs.rename(tmp, file).catch((err: unknown) => {
      const code = errnoCode(err);
      if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw httpError('INVALID_NAME', `"${name}" is a directory in the data dir`);
      }
      throw err;
    });
    renamed = true;
    await syncDir(dir);
    return { name, bytes: total };
  } finally {
    if (!renamed) {
      await fh.close().catch(() => undefined);
      await fs.unlink(tmp).catch(() => undefined);
    }
  }
}

async function writeRepeated(fh: fs.FileHandle, unit: Buffer, repeat: number, signal: AbortSignal | undefined): Promise<void> {
  if (unit.length === 0 || repeat === 0) return;
  const perBlock = Math.max(1, Math.min(repeat, Math.floor(WRITE_BLOCK / unit.length)));
  const block = perBlock === 1 ? unit : Buffer.concat(Array.from({ length: perBlock }, () => unit));
  let left = repeat;
  while (left > 0) {
    signal?.throwIfAborted();
    const n = Math.min(left, perBlock);
    await writeAll(fh, n === perBlock ? block : block.subarray(0, n * unit.length));
    left -= n;
  }
}

async function writeAll(fh: fs.FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/** Makes the rename durable across a crash; best effort (not every platform allows it). */
async function syncDir(dir: string): Promise<void> {
  const dh = await fs.open(dir, fsc.O_RDONLY).catch(() => null);
  if (dh === null) return;
  await dh.sync().catch(() => undefined);
  await dh.close().catch(() => undefined);
}

/** Deletes `name` (a file or a stray symlink, never a symlink's target); FILE_NOT_FOUND when absent. */
export async function deleteFile(dataDir: string, name: string): Promise<FileResult> {
  const { file } = await targetPath(dataDir, name);
  const st = await fs.lstat(file).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') throw httpError('FILE_NOT_FOUND', `no data file named "${name}"`);
    throw err;
  });
  if (st.isDirectory()) throw httpError('FILE_NOT_FOUND', `no data file named "${name}"`);
  await fs.unlink(file).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') throw httpError('FILE_NOT_FOUND', `no data file named "${name}"`);
    throw err;
  });
  return { name, bytes: st.isFile() ? st.size : 0 };
}

/** A read stream over a regular data file; FILE_NOT_FOUND when absent, FORBIDDEN for a symlink. */
export async function openDataFile(dataDir: string, name: string): Promise<ReadStream> {
  const { file } = await targetPath(dataDir, name);
  const fh = await fs.open(file, READ_FLAGS).catch((err: unknown) => {
    const code = errnoCode(err);
    if (code === 'ENOENT') throw httpError('FILE_NOT_FOUND', `no data file named "${name}"`);
    // O_NOFOLLOW on a symlink fails with ELOOP (EMLINK on some BSDs).
    if (code === 'ELOOP' || code === 'EMLINK') throw httpError('FORBIDDEN', `"${name}" is a symbolic link; links are not followed`);
    throw err;
  });
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw httpError('FILE_NOT_FOUND', `no data file named "${name}"`);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh.createReadStream();
}
