/**
 * Where a machine's CPU goes during a run: the CPU time of this process and of every process it
 * started, directly or not (platform processes, generators, PostgreSQL's postmaster and
 * backends, nats-server), read from `/proc/<pid>/stat` before and after, grouped by a name the
 * caller gives each process. A process that exits between the two readings is left out; one
 * that starts in between is counted from zero.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

interface ProcessTime {
  ppid: number;
  /** The command name (`comm`), e.g. `node`, `postgres`, `nats-server`. */
  comm: string;
  seconds: number;
}

export interface CpuReading {
  at: number;
  processes: Map<number, ProcessTime>;
  /** The whole machine's busy CPU time (every process, this bench's or not), seconds. */
  machineSeconds: number;
}

/** Busy time of all CPUs from `/proc/stat` (user … softirq and steal; not idle or iowait). */
function machineBusy(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number) as number[];
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / ticks;
}

let ticks = 0;

function readAll(): Map<number, ProcessTime> {
  ticks ||= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const all = new Map<number, ProcessTime>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      // After the command name: state (#3), ppid (#4), … utime (#14), stime (#15).
      const fields = stat.slice(close + 2).split(' ');
      all.set(Number(entry), {
        ppid: Number(fields[1]),
        comm: stat.slice(open + 1, close),
        seconds: (Number(fields[11]) + Number(fields[12])) / ticks,
      });
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

/** This process and its descendants, now. */
export function readCpu(): CpuReading {
  const all = readAll();
  const mine = new Map<number, ProcessTime>();
  const isMine = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      if (p === process.pid) return true;
      const next = all.get(p)?.ppid;
      if (next === undefined) return false;
      p = next;
    }
    return false;
  };
  for (const [pid, t] of all) if (isMine(pid)) mine.set(pid, t);
  return { at: performance.now(), processes: mine, machineSeconds: machineBusy() };
}

/**
 * CPU used between two readings, % of one core, per group: `group(pid, comm)` names a process's
 * group (null leaves it out); `total` is every process of the tree; `machine` every process of
 * the machine (more than `total` when something else shares it).
 */
export function cpuBetween(
  before: CpuReading,
  after: CpuReading,
  group: (pid: number, comm: string) => string | null,
): Record<string, number> {
  const wall = (after.at - before.at) / 1000;
  const used: Record<string, number> = {};
  let total = 0;
  for (const [pid, t] of after.processes) {
    const was = before.processes.get(pid);
    const seconds = t.seconds - (was && was.comm === t.comm ? was.seconds : 0);
    total += seconds;
    const name = group(pid, t.comm);
    if (name !== null) used[name] = (used[name] ?? 0) + seconds;
  }
  const percent = (s: number) => Math.round((1000 * s) / wall) / 10;
  return {
    ...Object.fromEntries(Object.entries(used).map(([k, s]) => [k, percent(s)])),
    total: percent(total),
    machine: percent(after.machineSeconds - before.machineSeconds),
  };
}

/** `{ platform: 95, nats: 30, … }` as `platform 95%, nats 30%, …`. */
export function cpuLine(cpu: Record<string, number>): string {
  return Object.entries(cpu)
    .map(([k, v]) => `${k} ${Math.round(v)}%`)
    .join(', ');
}
