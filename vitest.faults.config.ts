/**
 * The reliability suite (`npm run test:faults`, also run by CI): hostile inputs, a worker
 * killed mid-job, Redis restarted mid-run, the store unreachable, a parser thread crashing,
 * and path safety, each against real `nianbao` processes, a real Redis and a real store.
 * Kept out of `npm test` (vitest.config.ts excludes test/faults).
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts"],
    // Each scenario runs its own processes and measures time and memory: one file at a time,
    // so that they do not compete for the CPU (the suite is sized for two cores).
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: "forks",
    globalSetup: ["test/global-setup.ts"],
  },
});
