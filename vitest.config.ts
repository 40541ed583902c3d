import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The reliability suite has its own command: npm run test:faults (vitest.faults.config.ts).
    exclude: [...configDefaults.exclude, "test/faults/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two test files at a time even on two cores (vitest's default would be one there): the
    // long files wait on Redis, PostgreSQL, child processes and Tesseract more than they compute.
    // npm test took 207 s one at a time and 127–138 s two at a time on this 2-core machine
    // (three runs, every test passed); the timing-bound tests allow for a loaded machine.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ["test/global-setup.ts"],
  },
});
