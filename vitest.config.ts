import { defineConfig } from "vitest/config";

// Unit tests run anywhere; e2e tests share one real control plane started by the global setup (it fails loudly,
// never skips, when a component cannot start).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One shared API server pair: files run one after another to keep a 2-core machine responsive.
          fileParallelism: false,
        },
      },
    ],
  },
});
