import { describe, expect, it } from "vitest";
import { HELP, parseCli, UsageError } from "../../../shared/cli/args.js";

function usage(argv: string[]): UsageError {
  try {
    parseCli(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error(`expected a usage error for ${argv.join(" ")}`);
}

describe("parseCli", () => {
  it("parses push with every flag", () => {
    const c = parseCli([
      "push",
      "--vault",
      "KV-Alpha",
      "--name",
      "db-pass",
      "--type",
      "certificate",
      "--namespace",
      "a",
      "--namespace",
      "b",
      "--namespace",
      "a",
      "--cluster",
      "c1",
      "--dry-run",
      "-o",
      "json",
      "--kubeconfig",
      "/k",
      "--context",
      "ctx",
      "-v",
    ]);
    expect(c).toEqual({
      command: "push",
      vault: "kv-alpha",
      objectName: "db-pass",
      objectType: "certificate",
      namespaces: ["a", "b"],
      dryRun: true,
      wait: false,
      timeoutMs: 600_000,
      common: { output: "json", kubeconfig: "/k", context: "ctx", clusters: ["c1"], vaultUrls: [], verbose: true },
    });
  });

  it("push --wait [--timeout D], status [--vault V [--name N]], expiring [--within D]", () => {
    expect(parseCli(["push", "--vault", "kv-a1", "--name", "x", "--wait"])).toMatchObject({ wait: true, timeoutMs: 600_000 });
    expect(parseCli(["push", "--vault", "kv-a1", "--name", "x", "--wait", "--timeout", "90s"])).toMatchObject({
      wait: true,
      timeoutMs: 90_000,
    });
    expect(parseCli(["push", "--vault", "kv-a1", "--name", "x", "--wait", "--timeout", "2h"])).toMatchObject({ timeoutMs: 7_200_000 });
    expect(usage(["push", "--vault", "kv-a1", "--name", "x", "--timeout", "5m"]).message).toMatch(/--timeout needs --wait/);
    expect(usage(["push", "--vault", "kv-a1", "--name", "x", "--wait", "--dry-run"]).message).toMatch(/a dry run has nothing to follow/);
    for (const bad of ["10", "0m", "5 m", "1w", "1.5h"])
      expect(usage(["push", "--vault", "kv-a1", "--name", "x", "--wait", "--timeout", bad]).message, bad).toMatch(
        /--timeout must be a whole number with a unit s, m, h or d/,
      );
    expect(parseCli(["status"])).toMatchObject({ command: "status" });
    expect(parseCli(["status", "--vault", "KV-A1", "--name", "db"])).toMatchObject({ command: "status", vault: "kv-a1", objectName: "db" });
    expect(parseCli(["status", "--vault", "kv-a1"])).not.toHaveProperty("objectName");
    expect(usage(["status", "--name", "db"]).message).toMatch(/--name needs --vault/);
    expect(usage(["status", "--vault", "a"]).message).toMatch(/^--vault: /);
    expect(parseCli(["expiring"])).toMatchObject({ command: "expiring", withinMs: 30 * 86_400_000 });
    expect(parseCli(["expiring", "--within", "7d", "--cluster", "c1"])).toMatchObject({
      withinMs: 7 * 86_400_000,
      common: { clusters: ["c1"] },
    });
    expect(usage(["expiring", "--within", "soon"]).message).toMatch(/--within must be a whole number/);
    for (const k of ["status", "expiring"] as const) expect(HELP[k]).toMatch(/^Usage: kv-rotation-pusher /);
  });

  it("defaults: secret, table, no dry run; plan is always a dry run; --flag=value works", () => {
    const p = parseCli(["push", "--vault=kv-a1", "--name=x"]);
    expect(p).toMatchObject({
      command: "push",
      objectType: "secret",
      dryRun: false,
      namespaces: [],
      common: { output: "table", clusters: [], verbose: false },
    });
    expect(parseCli(["plan", "--vault", "kv-a1", "--name", "x"])).toMatchObject({ command: "plan", dryRun: true });
  });

  it("drift and event", () => {
    expect(parseCli(["drift"])).toMatchObject({ command: "drift", apply: false });
    expect(parseCli(["drift", "--apply", "--cluster", "c1"])).toMatchObject({
      command: "drift",
      apply: true,
      common: { clusters: ["c1"] },
    });
    expect(parseCli(["event"])).toMatchObject({ command: "event", file: "-", dryRun: false });
    expect(parseCli(["event", "-"])).toMatchObject({ command: "event", file: "-" });
    expect(parseCli(["event", "ev.json", "--dry-run"])).toMatchObject({ command: "event", file: "ev.json", dryRun: true });
  });

  it("--vault-url NAME=URL (URL may contain '=')", () => {
    const c = parseCli([
      "plan",
      "--vault",
      "kv-a1",
      "--name",
      "x",
      "--vault-url",
      "kv-a1=https://127.0.0.1:8443/?a=b",
      "--vault-url",
      "kv-b2=https://b",
    ]);
    expect(c.command !== "help" && c.common.vaultUrls).toEqual([
      { name: "kv-a1", url: "https://127.0.0.1:8443/?a=b" },
      { name: "kv-b2", url: "https://b" },
    ]);
    expect(usage(["plan", "--vault", "kv-a1", "--name", "x", "--vault-url", "kv-a1"]).message).toMatch(/--vault-url must be NAME=URL/);
  });

  it("help: global, per command, and --help winning over other mistakes", () => {
    expect(parseCli(["--help"])).toEqual({ command: "help" });
    expect(parseCli(["-h"])).toEqual({ command: "help" });
    expect(parseCli(["help"])).toEqual({ command: "help" });
    expect(parseCli(["help", "drift"])).toEqual({ command: "help", topic: "drift" });
    expect(parseCli(["push", "--help"])).toEqual({ command: "help", topic: "push" });
    expect(parseCli(["push", "--bogus", "-h"])).toEqual({ command: "help", topic: "push" });
    expect(parseCli(["event", "-h"])).toEqual({ command: "help", topic: "event" });
    for (const k of ["main", "push", "plan", "drift", "event"] as const) expect(HELP[k]).toMatch(/Usage/);
    expect(HELP.main).toMatch(/Exit codes: 0 done, 1 failed.*2 bad usage/s);
  });

  it("usage errors name the flag and what is expected", () => {
    expect(usage([]).message).toMatch(/a command is required/);
    expect(usage(["frobnicate"]).message).toMatch(/unknown command "frobnicate"/);
    expect(usage(["--vault", "x"]).message).toMatch(/a command must come first/);
    expect(usage(["help", "nope"]).message).toMatch(/unknown command "nope"/);
    expect(usage(["push", "--name", "x"]).message).toMatch(/--vault is required/);
    expect(usage(["push", "--vault", "kv-a1"]).message).toMatch(/--name is required/);
    const bogus = usage(["push", "--vault", "kv-a1", "--name", "x", "--bogus"]);
    expect(bogus.message).toMatch(/Unknown option '--bogus'/);
    expect(bogus.command).toBe("push");
    expect(usage(["push", "--vault", "kv-a1", "--name"]).message).toMatch(/--name/);
    expect(usage(["push", "--vault", "a", "--name", "x"]).message).toMatch(/^--vault: .*not a valid Key Vault name/);
    expect(usage(["push", "--vault", "kv-a1", "--name", "under_score"]).message).toMatch(/^--name: .*not a valid Key Vault object name/);
    expect(usage(["push", "--vault", "kv-a1", "--name", "x", "--type", "blob"]).message).toMatch(/^--type: .*secret\|certificate\|key/);
    expect(usage(["push", "--vault", "kv-a1", "--name", "x", "--namespace", "Bad_NS"]).message).toMatch(/^--namespace: .*DNS-1123/);
    expect(usage(["plan", "--vault", "kv-a1", "--name", "x", "--dry-run"]).message).toMatch(/Unknown option '--dry-run'/);
    expect(usage(["push", "--vault", "kv-a1", "--name", "x", "-o", "yaml"]).message).toMatch(/--output must be table or json/);
    expect(usage(["push", "--vault", "kv-a1", "--vault", "kv-b2", "--name", "x"]).message).toMatch(/--vault is given 2 times/);
    expect(usage(["push", "--vault", "kv-a1", "--name", "x", "extra"]).message).toMatch(/unexpected argument "extra"/);
    expect(usage(["drift", "--vault", "kv-a1"]).message).toMatch(/Unknown option '--vault'/);
    expect(usage(["event", "a.json", "b.json"]).message).toMatch(/one FILE/);
    expect(usage(["push", "--vault", "kv-a1", "--name", "x", "--context", ""]).message).toMatch(/--context needs/);
  });
});
