/**
 * The cgroup CPU quota read from fixture trees: /proc/self/{cgroup,mountinfo} and the
 * cgroup files laid out under a temporary root, for cgroup v2, v1 and the hybrid layout.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { cgroupCpuQuota, cpuBudget } from '../../src/config/cpus.js';

const roots: string[] = [];
after(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'dhttp-cpus-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

const V2_MOUNT = '30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n';
const HYBRID_MOUNTS = [
  '31 25 0:27 / /sys/fs/cgroup/unified rw,nosuid shared:5 - cgroup2 cgroup2 rw',
  '32 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:6 - cgroup cgroup rw,cpu,cpuacct',
  '33 25 0:29 / /sys/fs/cgroup/memory rw,nosuid shared:7 - cgroup cgroup rw,memory',
  '',
].join('\n');

test('cgroup v2: cpu.max of the process cgroup, rounded up; "max" is no quota', async () => {
  const base = { '/proc/self/cgroup': '0::/kubepods/pod1/ctr\n', '/proc/self/mountinfo': V2_MOUNT };
  const one = await tree({ ...base, '/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': '100000 100000\n' });
  assert.equal(cgroupCpuQuota({ root: one }), 1);
  assert.deepEqual(cpuBudget({ root: one, hostCpus: 64 }), { cpus: 1, quota: 1 });

  const half = await tree({ ...base, '/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': '50000 100000\n' });
  assert.deepEqual(cpuBudget({ root: half, hostCpus: 64 }), { cpus: 1, quota: 0.5 });

  const oneAndHalf = await tree({ ...base, '/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': '150000 100000\n' });
  assert.equal(cpuBudget({ root: oneAndHalf, hostCpus: 64 }).cpus, 2);

  const none = await tree({ ...base, '/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': 'max 100000\n' });
  assert.deepEqual(cpuBudget({ root: none, hostCpus: 8 }), { cpus: 8, quota: undefined });
});

test('cgroup v2: a parent limit binds its children; the smallest level wins', async () => {
  const root = await tree({
    '/proc/self/cgroup': '0::/kubepods/pod1/ctr\n',
    '/proc/self/mountinfo': V2_MOUNT,
    '/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': 'max 100000\n',
    '/sys/fs/cgroup/kubepods/pod1/cpu.max': '300000 100000\n',
    '/sys/fs/cgroup/kubepods/cpu.max': '800000 100000\n',
  });
  assert.equal(cgroupCpuQuota({ root }), 3);
  assert.equal(cpuBudget({ root, hostCpus: 16 }).cpus, 3);
});

test('a container: its cgroup namespace root is mounted at /sys/fs/cgroup', async () => {
  const root = await tree({
    '/proc/self/cgroup': '0::/\n',
    '/proc/self/mountinfo': V2_MOUNT,
    '/sys/fs/cgroup/cpu.max': '200000 100000\n',
  });
  assert.equal(cpuBudget({ root, hostCpus: 2 }).cpus, 2);
  assert.equal(cpuBudget({ root, hostCpus: 64 }).cpus, 2);
});

test('the host count caps the quota; the quota never gives more CPUs than the host has', async () => {
  const root = await tree({
    '/proc/self/cgroup': '0::/a\n',
    '/proc/self/mountinfo': V2_MOUNT,
    '/sys/fs/cgroup/a/cpu.max': '1600000 100000\n',
  });
  assert.deepEqual(cpuBudget({ root, hostCpus: 4 }), { cpus: 4, quota: 16 });
});

test('cgroup v1 (hybrid layout): cpu.cfs_quota_us / cpu.cfs_period_us; -1 is no quota', async () => {
  const base = {
    '/proc/self/cgroup': '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/docker/abc\n',
    '/proc/self/mountinfo': HYBRID_MOUNTS,
    '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
  };
  const two = await tree({ ...base, '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '200000\n' });
  assert.deepEqual(cpuBudget({ root: two, hostCpus: 8 }), { cpus: 2, quota: 2 });
  const none = await tree({ ...base, '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '-1\n' });
  assert.deepEqual(cpuBudget({ root: none, hostCpus: 8 }), { cpus: 8, quota: undefined });
});

test('a mount that does not contain the process cgroup is not read', async () => {
  // The mount shows /other only; the process lives in /docker/abc: nothing applies.
  const root = await tree({
    '/proc/self/cgroup': '0::/docker/abc\n',
    '/proc/self/mountinfo': '30 25 0:26 /other /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n',
    '/sys/fs/cgroup/cpu.max': '100000 100000\n',
  });
  assert.equal(cgroupCpuQuota({ root }), undefined);
});

test('mount points with escaped characters are found', async () => {
  const root = await tree({
    '/proc/self/cgroup': '0::/x\n',
    '/proc/self/mountinfo': '30 25 0:26 / /sys/fs/cgroup\\040v2 rw - cgroup2 cgroup2 rw\n',
    '/sys/fs/cgroup v2/x/cpu.max': '100000 100000\n',
  });
  assert.equal(cgroupCpuQuota({ root }), 1);
});

test('anything missing or malformed means no quota, never a throw', async () => {
  const cases: Record<string, string>[] = [
    {},
    { '/proc/self/cgroup': '0::/x\n' },
    { '/proc/self/cgroup': 'garbage\n', '/proc/self/mountinfo': V2_MOUNT },
    { '/proc/self/cgroup': '0::/x\n', '/proc/self/mountinfo': V2_MOUNT, '/sys/fs/cgroup/x/cpu.max': 'lots 100000\n' },
    { '/proc/self/cgroup': '0::/x\n', '/proc/self/mountinfo': V2_MOUNT, '/sys/fs/cgroup/x/cpu.max': '0 100000\n' },
    { '/proc/self/cgroup': '0::/x\n', '/proc/self/mountinfo': V2_MOUNT, '/sys/fs/cgroup/x/cpu.max': '100000 0\n' },
    { '/proc/self/cgroup': '4:cpu:/x\n', '/proc/self/mountinfo': HYBRID_MOUNTS },
  ];
  for (const files of cases) {
    const root = await tree(files);
    assert.deepEqual(cpuBudget({ root, hostCpus: 3 }), { cpus: 3, quota: undefined }, JSON.stringify(files));
  }
});
