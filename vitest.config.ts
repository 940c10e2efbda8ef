import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real-data tests train models; keep the two cores from being oversubscribed.
    maxWorkers: 2,
  },
});
