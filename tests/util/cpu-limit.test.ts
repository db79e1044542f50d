import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  availableCpus,
  cgroupCpuLimit,
  cpusOfQuota,
  parseCpuMax,
  parseProcCgroup,
} from '../../src/util/cpu-limit.js';

/** A file system of cgroup files: path → contents; anything else cannot be read. */
const files =
  (tree: Record<string, string>) =>
  (file: string): string | null =>
    tree[file] ?? null;

describe('the CPU quota of a container', () => {
  it('reads cgroup v2 cpu.max: a quota, none, and a fraction rounded down to at least one', () => {
    expect(parseCpuMax('200000 100000\n')).toBe(2);
    expect(parseCpuMax('max 100000\n')).toBeNull();
    expect(parseCpuMax('150000 100000')).toBe(1);
    expect(parseCpuMax('25000 100000')).toBe(1);
    expect(cpusOfQuota(-1, 100_000)).toBeNull(); // cgroup v1's "no quota"
    expect(cpusOfQuota(400_000, 0)).toBeNull();
  });

  it('finds the v2 path and the v1 cpu controller path in /proc/self/cgroup', () => {
    expect(parseProcCgroup('0::/kubepods/pod1/ctr\n')).toEqual({
      v2: '/kubepods/pod1/ctr',
      v1Cpu: null,
    });
    expect(parseProcCgroup('5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n').v1Cpu).toBe(
      '/docker/abc',
    );
    expect(parseProcCgroup('1:name=systemd:/a:b\n')).toEqual({ v2: null, v1Cpu: null });
  });

  it('takes the tightest quota of the cgroup and its parents (v2)', () => {
    const read = files({
      '/proc/self/cgroup': '0::/kubepods/pod1/ctr\n',
      '/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': 'max 100000\n',
      '/sys/fs/cgroup/kubepods/pod1/cpu.max': '300000 100000\n',
      '/sys/fs/cgroup/kubepods/cpu.max': '800000 100000\n',
      '/sys/fs/cgroup/cpu.max': 'max 100000\n',
    });
    expect(cgroupCpuLimit(read)).toBe(3);
  });

  it('reads a container whose cgroup is the mount’s root (a cgroup namespace)', () => {
    const read = files({
      '/proc/self/cgroup': '0::/\n',
      '/sys/fs/cgroup/cpu.max': '200000 100000',
    });
    expect(cgroupCpuLimit(read)).toBe(2);
  });

  it('reads cgroup v1 cfs quota and period, under either mount name', () => {
    const cgroup = '4:cpu,cpuacct:/docker/abc\n';
    const v1 = files({
      '/proc/self/cgroup': cgroup,
      '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '200000\n',
      '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
    });
    expect(cgroupCpuLimit(v1)).toBe(2);
    const unlimited = files({
      '/proc/self/cgroup': cgroup,
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
      '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
    });
    expect(cgroupCpuLimit(unlimited)).toBeNull();
    // Inside a container /proc/self/cgroup names the host's path, which the container's mount
    // does not have: its own limit is at the mount's root.
    const container = files({
      '/proc/self/cgroup': cgroup,
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '300000\n',
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    });
    expect(cgroupCpuLimit(container)).toBe(3);
  });

  it('has no quota where there is no cgroup to read, and never more CPUs than cores', () => {
    expect(cgroupCpuLimit(files({}))).toBeNull();
    expect(availableCpus(files({}))).toBe(availableParallelism());
    const more = `${(availableParallelism() + 1) * 100_000} 100000`;
    const huge = files({ '/proc/self/cgroup': '0::/', '/sys/fs/cgroup/cpu.max': more });
    expect(availableCpus(huge)).toBe(availableParallelism());
    const one = files({ '/proc/self/cgroup': '0::/', '/sys/fs/cgroup/cpu.max': '100000 100000' });
    expect(availableCpus(one)).toBe(1);
  });
});
