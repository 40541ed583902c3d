/** Memory probes: a forced garbage collection, and an RSS sampler. */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * `gc()` without starting node with --expose-gc: the flag is set at run time and a new
 * context picks up the function. Null if this V8 refuses (then heap figures are taken
 * without a forced collection, and say so).
 */
export const forceGc: (() => void) | null = (() => {
  try {
    setFlagsFromString("--expose-gc");
    const fn: unknown = runInNewContext("gc");
    return typeof fn === "function" ? () => void fn() : null;
  } catch {
    return null;
  }
})();

/** Collects garbage (twice, so objects freed by finalizers go too) if possible. */
export function collect(): boolean {
  if (!forceGc) return false;
  forceGc();
  forceGc();
  return true;
}

/** Samples the resident set size on a timer, and whenever `sample()` is called (e.g. after each document). */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  peak = 0;
  samples = 0;

  start(intervalMs = 20): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    this.samples++;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }
}

/** The process's resident-set high-water mark since it started, as the OS counts it (bytes). */
export const maxRssBytes = (): number => process.resourceUsage().maxRSS * 1024;
