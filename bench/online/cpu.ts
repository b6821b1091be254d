import { readFileSync, readdirSync } from 'node:fs';
import type { ProcessGroup } from '../../test/support/processes';
import { sleep } from '../../test/support/wait';

/*
 * CPU used by other processes: the machine is shared, and a figure measured while another test
 * run used a core says little. /proc/stat's busy time minus the CPU time of this bench's own
 * processes (its process group, the servers' groups, the load generator) is what others used.
 */

const CLK_TCK = 100;

interface CpuSnapshot {
  readonly busy: number;
  readonly mine: number;
}

/** Fields of /proc/<pid>/stat from the third (state) on, or null when the process is gone. */
function procStatFields(pid: string): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function cpuSnapshot(groups: Set<number>): CpuSnapshot {
  const [, ...cols] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const v = cols.map(Number);
  const busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] ?? 0); // user nice system irq softirq steal
  let mine = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const f = procStatFields(pid);
    if (!f) continue;
    if (groups.has(Number(f[2]))) mine += Number(f[11]) + Number(f[12]); // pgrp; utime, stime
  }
  return { busy, mine };
}

/** Percent of one core that processes outside `groups` used between two snapshots, per second of `seconds`. */
function otherCpuPercent(a: CpuSnapshot, b: CpuSnapshot, seconds: number): number {
  return Math.max(0, Math.round((100 * (b.busy - a.busy - (b.mine - a.mine))) / CLK_TCK / seconds));
}

/** What processes outside the bench use of the CPU, sampled around each measurement. */
export class OtherCpu {
  constructor(
    private readonly procs: ProcessGroup,
    /** How long waitQuiet waits at most, in seconds (--quiet-wait). */
    private readonly quietWaitSec: number,
  ) {}

  /** Process groups of this bench: its own and every detached child's. */
  private groups(): Set<number> {
    const own = Number(procStatFields('self')?.[2] ?? process.pid);
    return new Set([own, ...this.procs.pids()]);
  }

  /** Waits (up to quietWaitSec) until other processes use under 15% of a core for 2 s; returns the seconds waited. */
  async waitQuiet(): Promise<number> {
    const started = Date.now();
    for (;;) {
      const a = cpuSnapshot(this.groups());
      await sleep(2000); // the measurement window
      const other = otherCpuPercent(a, cpuSnapshot(this.groups()), 2);
      const waited = Math.round((Date.now() - started) / 1000);
      if (other < 15 || waited >= this.quietWaitSec) {
        if (other >= 15) console.error(`  other processes still use ${other}% of a core after ${waited} s; measuring anyway`);
        return waited;
      }
    }
  }

  /** Runs `work` and reports the percent of a core others used meanwhile (over at least `seconds`). */
  async during<T>(work: () => Promise<T>, seconds: number): Promise<{ value: T; other: number }> {
    const a = cpuSnapshot(this.groups());
    const started = Date.now();
    const value = await work();
    const b = cpuSnapshot(this.groups());
    return { value, other: otherCpuPercent(a, b, Math.max(seconds, (Date.now() - started) / 1000)) };
  }
}
