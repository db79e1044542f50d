// How many CPUs this process may use: what `serve` sizes its default cluster by, and training its
// worker threads (src/parallel/sync-pool.ts). A container's
// CPU limit is a cgroup quota, which neither os.cpus() nor os.availableParallelism() sees (they
// count the node's cores, or the affinity mask), so a 2-CPU pod on a 64-core node would fork 64
// workers. The quota is read from the cgroup files, v2 and v1, as Go's automaxprocs and the JVM
// do; the parsers are pure, the reading is one small function.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * CPUs a quota allows: `quota` µs of CPU time per `period` µs, rounded down (a 1.5-CPU limit runs
 * one server process at full speed rather than two throttled), at least 1. Null for no quota.
 */
export function cpusOfQuota(quota: number, period: number): number | null {
  if (!(quota > 0) || !(period > 0)) return null;
  return Math.max(1, Math.floor(quota / period));
}

/** cgroup v2 `cpu.max`: "max 100000" (no limit) or "200000 100000" (2 CPUs). */
export function parseCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return null;
  return cpusOfQuota(Number(quota), Number(period ?? 100_000));
}

/**
 * The cgroup paths of this process from /proc/self/cgroup: the v2 one (`0::/path`) and the v1
 * `cpu` controller's (`4:cpu,cpuacct:/path`).
 */
export function parseProcCgroup(text: string): { v2: string | null; v1Cpu: string | null } {
  let v2: string | null = null;
  let v1Cpu: string | null = null;
  for (const line of text.split('\n')) {
    // id:controllers:path, and the path may itself hold colons.
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (line.slice(0, first) === '0' && controllers === '') v2 = path;
    else if (controllers.split(',').includes('cpu')) v1Cpu = path;
  }
  return { v2, v1Cpu };
}

/** The directories from `path` up to the root of a cgroup mount: a parent's limit binds too. */
function upToRoot(mount: string, path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const dirs: string[] = [];
  for (let n = parts.length; n >= 0; n--) dirs.push([mount, ...parts.slice(0, n)].join('/'));
  return dirs;
}

export type ReadText = (file: string) => string | null;

const readText: ReadText = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/**
 * The CPU quota of this process's cgroup and its parents, the tightest; null when there is none or
 * it cannot be read (not Linux, no cgroup mount). Inside a container the process's path may not
 * exist under the mount (its cgroup is the mount's root), so the walk simply finds no file there.
 */
export function cgroupCpuLimit(read: ReadText = readText): number | null {
  const cgroup = read('/proc/self/cgroup');
  if (cgroup === null) return null;
  const { v2, v1Cpu } = parseProcCgroup(cgroup);
  const limits: number[] = [];
  if (v2 !== null)
    for (const dir of upToRoot('/sys/fs/cgroup', v2)) {
      const text = read(`${dir}/cpu.max`);
      const cpus = text === null ? null : parseCpuMax(text);
      if (cpus !== null) limits.push(cpus);
    }
  if (v1Cpu !== null)
    for (const mount of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct'])
      for (const dir of upToRoot(mount, v1Cpu)) {
        const quota = read(`${dir}/cpu.cfs_quota_us`);
        const period = read(`${dir}/cpu.cfs_period_us`);
        const cpus =
          quota === null || period === null ? null : cpusOfQuota(Number(quota), Number(period));
        if (cpus !== null) limits.push(cpus);
      }
  return limits.length > 0 ? Math.min(...limits) : null;
}

/** The CPUs this process may use: the cores it may run on, capped by its cgroup's quota. */
export function availableCpus(read: ReadText = readText): number {
  const cores = availableParallelism();
  const quota = cgroupCpuLimit(read);
  return quota === null ? cores : Math.min(cores, quota);
}
