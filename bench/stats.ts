/** Summary statistics of timing samples, and the loop that collects them in rounds. */

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
  total: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..1). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1]!;
}

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const total = sorted.reduce((s, v) => s + v, 0);
  return {
    n: sorted.length,
    mean: sorted.length ? total / sorted.length : Number.NaN,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    total,
  };
}

/**
 * How long to keep measuring: at least `minRounds` rounds over all items, then more rounds
 * until `minSamples` samples are taken or `maxMs` have passed, whichever comes first.
 */
export interface RoundPlan {
  minRounds: number;
  minSamples: number;
  maxMs: number;
}

export interface RoundsDone {
  rounds: number;
  samples: number;
  elapsedMs: number;
}

/**
 * Runs `each` on every item, round after round (all items in one round, in order, so every
 * item is equally represented and garbage collections spread over all of them).
 */
export async function runRounds<T>(items: readonly T[], plan: RoundPlan, each: (item: T) => Promise<void>): Promise<RoundsDone> {
  const t0 = performance.now();
  let rounds = 0;
  let samples = 0;
  const elapsed = () => performance.now() - t0;
  while (items.length > 0 && (rounds < plan.minRounds || (samples < plan.minSamples && elapsed() < plan.maxMs))) {
    for (const item of items) {
      await each(item);
      samples++;
    }
    rounds++;
  }
  return { rounds, samples, elapsedMs: elapsed() };
}

export const mb = (bytes: number): number => bytes / (1024 * 1024);
