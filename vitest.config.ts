import { defineConfig } from "vitest/config";

// Unit tests run anywhere; e2e tests share one real control plane started by the global setup (it fails loudly,
// never skips, when a component cannot start).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          // Every project names its group: a project without one runs in parallel with all the others.
          sequence: { groupOrder: 0 },
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        // Differential check of shared/render against the pinned upstream Go code (built once and cached by
        // test/oracle/build-oracle.sh); seeded, ≥ 1,000 generated cases per run.
        test: {
          name: "oracle",
          // last, alone: a minute of key generation and Go processes would slow the e2e timing tests on 2 cores
          sequence: { groupOrder: 2 },
          include: ["test/oracle/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 900_000,
        },
      },
      {
        test: {
          name: "e2e",
          sequence: { groupOrder: 0 },
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One shared API server pair: files run one after another to keep a 2-core machine responsive.
          fileParallelism: false,
        },
      },
      {
        // Storms, injected faults, hostile input, leak and least-privilege checks on the same real environment as
        // e2e (its own control plane); the summary global setup prints the figures once, at the very end.
        test: {
          name: "reliability",
          // after unit and e2e (group 0): two control planes at once would starve a 2-core machine
          sequence: { groupOrder: 1 },
          include: ["test/reliability/**/*.test.ts"],
          // summary first: global teardowns run in reverse, so the summary is printed after the environment stopped
          globalSetup: ["test/reliability/summary.ts", "test/e2e/global-setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
