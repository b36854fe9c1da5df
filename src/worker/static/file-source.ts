/** Opening and reading the files the static handler serves. */
import { constants as fsc } from 'node:fs';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import { httpError } from '../../common/errors.js';
import type { FileCache } from './file-cache.js';

// Never follow a final-component symlink at open time: realpath already resolved it, so a
// link here means it was swapped in after the check. NONBLOCK keeps a FIFO from hanging us.
const OPEN_FLAGS = fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0) | (fsc.O_NONBLOCK ?? 0);

/** An open regular file and its fresh stat; 404 when it is gone or no longer a file. */
export async function openServed(realPath: string): Promise<{ fh: fs.FileHandle; stat: Stats }> {
  // Gone, or swapped for a symlink since locate(): either way there is nothing to serve.
  const fh = await fs.open(realPath, OPEN_FLAGS).catch(() => {
    throw httpError('NOT_FOUND', 'no such file');
  });
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw httpError('NOT_FOUND', 'no such file');
    return { fh, stat };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/**
 * A small file's bytes, from the cache or read whole and cached. `stat` is the one the
 * bytes belong to (fresher than the caller's when the file was read now).
 */
export async function readSmall(realPath: string, known: Stats, cache: FileCache): Promise<{ body: Buffer; stat: Stats }> {
  const cached = cache.get(realPath, known);
  if (cached !== undefined) return { body: cached, stat: known };
  const { fh, stat } = await openServed(realPath);
  try {
    const body = await fh.readFile();
    // A body that does not match its stat is mid-write: serve it, but do not keep it.
    if (body.length === stat.size) cache.set(realPath, stat, body);
    return { body, stat };
  } finally {
    await fh.close();
  }
}
