/**
 * The temp files /createfile writes before rename()ing them into place, and the startup
 * sweep that removes the ones a crashed writer (SIGKILL, power loss) left behind.
 *
 * Which temp files are stale — age, not pid. The name carries the writer's pid, but "that
 * pid is not alive" cannot be trusted as "nobody is writing this file":
 * - workers sharing one data dir may run in different containers or hosts (a shared
 *   volume, NFS), each with its own pid namespace: the writer's pid means nothing here,
 *   and in a container every worker may well be pid 1 or 7;
 * - pids are reused, and kill(pid, 0) fails with EPERM for another user's process.
 * A wrong "dead" deletes a live upload (data loss, a failed /createfile); a wrong "alive"
 * only leaks a file. So the sweep goes by the file's mtime instead: a writer advances it
 * with every block it writes (64 KiB, see data-files.ts), and /createfile's content comes
 * from the request line, so nothing waits on a slow client between two writes — even a
 * 64 MiB file is written in seconds. A temp file untouched for STALE_TEMP_AGE_MS (1 hour)
 * therefore has no live writer; the hour also absorbs a stalled disk and clock skew between
 * hosts on a network file system. (There is no body/slow-body timeout to derive it from:
 * /createfile reads no request body.)
 *
 * Safety: only directory entries whose name matches TEMP_NAME exactly (the pattern
 * tempFileName() produces, which validateFileName rejects for data files) and that lstat()
 * reports as regular files are removed; symlinks, directories and everything else are left
 * alone, nothing is followed, and nothing outside the data dir (no recursion) is touched.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../common/logger.js';

/** A temp file not modified for this long has no live writer (see above). */
export const STALE_TEMP_AGE_MS = 60 * 60 * 1000;

/** Exactly the names tempFileName() makes: `.tmp-<pid>-<16 lowercase hex digits>`. */
export const TEMP_NAME = /^\.tmp-[1-9][0-9]{0,9}-[0-9a-f]{16}$/;

/** A fresh temp name for this process; the leading dot keeps it out of the data-file namespace. */
export function tempFileName(): string {
  return `.tmp-${process.pid}-${randomBytes(8).toString('hex')}`;
}

export interface SweepOptions {
  /** @default STALE_TEMP_AGE_MS */
  maxAgeMs?: number;
  /** @default Date.now() */
  now?: number;
  logger?: Logger;
}

export interface SweepResult {
  readonly removed: number;
  /** Matching temp files still too young to be stale (possibly being written right now). */
  readonly kept: number;
}

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/**
 * Removes stale temp files directly in `dataDir`. A missing data dir is not an error (it
 * is not created here); an unreadable one is logged and reported as nothing removed, so the
 * sweep never stops a worker from starting. Concurrent sweeps by other workers are fine: a
 * file another one removed first is just not counted.
 */
export async function sweepStaleTempFiles(dataDir: string, options: SweepOptions = {}): Promise<SweepResult> {
  const maxAgeMs = options.maxAgeMs ?? STALE_TEMP_AGE_MS;
  const now = options.now ?? Date.now();
  const log = options.logger;
  let removed = 0;
  let kept = 0;
  let dir: string;
  try {
    dir = await fs.realpath(dataDir);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') log?.warn({ err, dataDir }, 'temp file sweep: cannot resolve the data dir');
    return { removed, kept };
  }
  try {
    // opendir streams the entries: a data dir of many files is never listed into memory at once.
    for await (const entry of await fs.opendir(dir)) {
      if (!TEMP_NAME.test(entry.name)) continue;
      const file = path.join(dir, entry.name);
      let st: Awaited<ReturnType<typeof fs.lstat>>;
      try {
        st = await fs.lstat(file);
      } catch {
        continue; // gone already (another worker's sweep, or its writer renamed it)
      }
      if (!st.isFile()) continue;
      if (now - st.mtimeMs < maxAgeMs) {
        kept++;
        continue;
      }
      try {
        // unlink never follows a symlink; should the entry have been swapped for one since
        // the lstat, only that link (named like our temp file, in our dir) goes.
        await fs.unlink(file);
        removed++;
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') log?.warn({ err, file }, 'temp file sweep: cannot remove a stale temp file');
      }
    }
  } catch (err) {
    log?.warn({ err, dataDir: dir }, 'temp file sweep: cannot read the data dir');
  }
  if (removed > 0) log?.info({ dataDir: dir, removed, kept }, 'removed stale temp files');
  else log?.debug({ dataDir: dir, removed, kept }, 'no stale temp files');
  return { removed, kept };
}
