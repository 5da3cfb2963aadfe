// run(): exit codes and stream discipline without a cluster (usage and configuration errors never reach the pipeline).
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../../shared/cli/io.js";
import { run } from "../../../shared/cli/run.js";

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    env,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s), isTTY: false },
    readStdin: async () => "",
    runtime: () => {
      throw new Error("the pipeline must not run");
    },
  };
  return { cli, out: () => out.join(""), err: () => err.join("") };
}

describe("run", () => {
  it("--help → usage on stdout, exit 0", async () => {
    const t = io();
    expect(await run(["push", "--help"], t.cli)).toBe(0);
    expect(t.out()).toMatch(/^Usage: kv-rotation-pusher push --vault V --name N/);
    expect(t.err()).toBe("");
  });

  it("bad usage → message + hint on stderr, nothing on stdout, exit 2", async () => {
    for (const argv of [
      [],
      ["nope"],
      ["push", "--name", "x"],
      ["push", "--vault", "kv-a1", "--name", "x", "--bogus"],
      ["plan", "--vault", "kv-a1", "--name", "bad_name"],
    ]) {
      const t = io();
      expect(await run(argv, t.cli), argv.join(" ")).toBe(2);
      expect(t.out()).toBe("");
      expect(t.err()).toMatch(/^kv-rotation-pusher: .+\nRun 'kv-rotation-pusher (\w+ )?--help' for usage\.\n$/);
    }
  });

  it("configuration errors → exit 2 naming the setting", async () => {
    const t = io({ KVRP_CLUSTERS: JSON.stringify([{ name: "a", server: "https://a", auth: "token", token: "x" }]) });
    expect(await run(["drift"], t.cli)).toBe(2);
    expect(t.err()).toMatch(/KVRP_VAULTS: is required/);
  });
});
