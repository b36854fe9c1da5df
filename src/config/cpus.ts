/**
 * How many CPUs this process may use: the host's (os.availableParallelism, which follows
 * the CPU affinity mask) capped by a cgroup CPU quota when one is set - the container's
 * CPU limit under Docker, Compose `cpus:` or a Kubernetes `limits.cpu`. Without the cap a
 * container limited to one CPU on a 64-core host would start 64 workers × 64 threads.
 *
 * The quota is read the way the kernel applies it: the process's cgroup (/proc/self/cgroup)
 * is located under its mount point (/proc/self/mountinfo), then every level up to the
 * mount's root is read (a parent's limit binds its children), and the smallest wins:
 *  - cgroup v2: `cpu.max` = "<quota> <period>" or "max <period>";
 *  - cgroup v1: `cpu.cfs_quota_us` (-1 = none) over `cpu.cfs_period_us`.
 * A fractional quota rounds up (1.5 CPUs → 2), as Go's and the JVM's runtimes do: the
 * quota is time, not cores, and a thread left idle wastes it. Anything unreadable or
 * malformed means "no quota": the host's count is always a safe answer.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { posix } from 'node:path';

/** Where to read from; tests point `root` at a directory of fixture files. */
export interface CpuSource {
  /** Prefix of every absolute path read (/proc/self/…, /sys/fs/cgroup/…). @default '' */
  readonly root?: string;
  /** The host's count. @default os.availableParallelism() */
  readonly hostCpus?: number;
}

interface Mount {
  /** The cgroup path, relative to the hierarchy, that is mounted here. */
  readonly root: string;
  readonly point: string;
  readonly version: 1 | 2;
  readonly controllers: readonly string[];
}

function read(root: string, path: string): string | undefined {
  try {
    return readFileSync(root + path, 'utf8');
  } catch {
    return undefined;
  }
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

function cgroupMounts(mountinfo: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const f = left.split(' ');
    const [fstype, , superOptions = ''] = right.split(' ');
    if (f.length < 5) continue;
    const root = unescapeOctal(f[3]);
    const point = unescapeOctal(f[4]);
    if (fstype === 'cgroup2') mounts.push({ root, point, version: 2, controllers: [] });
    else if (fstype === 'cgroup') mounts.push({ root, point, version: 1, controllers: superOptions.split(',') });
  }
  return mounts;
}

/** Quota in CPUs (fractional) from one cgroup directory's files, or undefined for none. */
function quotaAt(root: string, dir: string, version: 1 | 2): number | undefined {
  if (version === 2) {
    const text = read(root, `${dir}/cpu.max`);
    const m = text === undefined ? null : /^(\d+|max)\s+(\d+)\s*$/.exec(text);
    if (m === null || m[1] === 'max') return undefined;
    const quota = Number(m[1]);
    const period = Number(m[2]);
    return quota > 0 && period > 0 ? quota / period : undefined;
  }
  const quota = Number((read(root, `${dir}/cpu.cfs_quota_us`) ?? '').trim());
  const period = Number((read(root, `${dir}/cpu.cfs_period_us`) ?? '').trim());
  return Number.isSafeInteger(quota) && quota > 0 && Number.isSafeInteger(period) && period > 0 ? quota / period : undefined;
}

/** The smallest quota from `dir` up to the mount point, or undefined. */
function smallestQuota(root: string, mount: Mount, cgroupPath: string): number | undefined {
  // The process's cgroup must lie under what is mounted, else this mount does not show it.
  const rel = posix.relative(mount.root, cgroupPath);
  if (rel.startsWith('..') || posix.isAbsolute(rel)) return undefined;
  let dir = posix.join(mount.point, rel);
  let best: number | undefined;
  for (;;) {
    const q = quotaAt(root, dir, mount.version);
    if (q !== undefined && (best === undefined || q < best)) best = q;
    if (dir === mount.point || dir === '/' || !dir.startsWith(mount.point)) return best;
    dir = posix.dirname(dir);
  }
}

/**
 * The cgroup CPU quota of this process in CPUs (fractional, e.g. 1.5), or undefined when
 * none is set or none can be read.
 */
export function cgroupCpuQuota(source: CpuSource = {}): number | undefined {
  const root = source.root ?? '';
  const cgroups = read(root, '/proc/self/cgroup');
  const mountinfo = read(root, '/proc/self/mountinfo');
  if (cgroups === undefined || mountinfo === undefined) return undefined;
  const mounts = cgroupMounts(mountinfo);
  let best: number | undefined;
  for (const line of cgroups.split('\n')) {
    const m = /^(\d+):([^:]*):(.+)$/.exec(line.trim());
    if (m === null) continue;
    const v2 = m[1] === '0' && m[2] === '';
    const controllers = m[2].split(',');
    const candidates = mounts.filter((mt) =>
      v2 ? mt.version === 2 : mt.version === 1 && controllers.includes('cpu') && mt.controllers.includes('cpu'),
    );
    for (const mount of candidates) {
      const q = smallestQuota(root, mount, m[3]);
      if (q !== undefined && (best === undefined || q < best)) best = q;
    }
  }
  return best;
}

export interface CpuBudget {
  /** CPUs this process may use: the host's, capped by the quota rounded up (at least 1). */
  readonly cpus: number;
  /** The cgroup quota in CPUs, or undefined when none is set. */
  readonly quota: number | undefined;
}

export function cpuBudget(source: CpuSource = {}): CpuBudget {
  const host = source.hostCpus ?? availableParallelism();
  const quota = cgroupCpuQuota(source);
  const cpus = quota === undefined ? host : Math.max(1, Math.min(host, Math.ceil(quota - 1e-9)));
  return Object.freeze({ cpus, quota });
}
