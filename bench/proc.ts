/** What Linux's /proc says of a process: the CPU it has used. */
import { readFileSync } from "node:fs";

/** Linux's USER_HZ, the unit of /proc's CPU times: 100 on every mainstream architecture. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds (user + system, every thread) that process `pid` ("self" for this one) has used
 * so far; with `children`, also that of the children it has waited for. 0 where there is no
 * such process.
 */
export function cpuSeconds(pid: number | "self" | undefined, options: { children?: boolean } = {}): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): utime, stime, cutime and cstime are
    // fields 14–17 of stat, 12–15 after the command.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const which = options.children ? [11, 12, 13, 14] : [11, 12];
    return which.reduce((s, i) => s + Number(fields[i]), 0) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
