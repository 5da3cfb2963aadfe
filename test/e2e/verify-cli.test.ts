// The built CLI as an operator runs it, following rotations: `push --wait` (exit 0 when verified, 1 when it failed),
// `status`, and `expiring` (Key Vault attributes only). Real API server with the pusher's restricted token through a
// kubeconfig, the Key Vault emulator (its CA given as a file), the driver stand-in; the test plays the Deployment
// controller and kubelet while the CLI waits (test/env/controllers-standin.ts).
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RotationOutcome } from "../../shared/model/index.js";
import { controllersStandIn, type ControllersStandIn } from "../env/controllers-standin.js";
import { startDriverStandIn, type DriverStandIn } from "../env/driver-standin.js";
import { buildCliIfStale, cliMainJs } from "../support/built-cli.js";
import {
  createNamespace,
  createSpc,
  createWorkload,
  setRequiresRepublish,
  startWorld,
  uniqueName,
  type ClusterHandles,
  type World,
} from "../support/world.js";

let w: World;
let c: ClusterHandles;
let d: DriverStandIn;
let ctl: ControllersStandIn;
let ns: string;
let dir: string;
let env: NodeJS.ProcessEnv;
const name = uniqueName("wait-db");
const expiring = uniqueName("cert-pass");
const seen: string[] = [];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    // async spawn: the emulator, the driver stand-in and the controllers' stand-in keep working in this process.
    const p = spawn(process.execPath, [cliMainJs, ...args], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    p.on("error", reject);
    p.on("close", (code) => {
      for (const v of seen) {
        expect(stdout + stderr).not.toContain(v);
        expect(stdout + stderr).not.toContain(Buffer.from(v).toString("base64"));
      }
      expect(stderr).not.toMatch(/\n\s+at /);
      resolve({ code, stdout, stderr });
    });
  });
}

async function setValue(objectName: string, value: string, expiresOn?: Date): Promise<string> {
  seen.push(value);
  return (await w.secrets("kv-alpha").setSecret(objectName, value, expiresOn ? { expiresOn } : {})).properties.version!;
}

beforeAll(async () => {
  buildCliIfStale();
  w = await startWorld();
  c = w.clusters[0]!;
  await setRequiresRepublish(c, true);
  dir = mkdtempSync(join(tmpdir(), "kvrp-verify-cli-"));
  writeFileSync(join(dir, "ca.pem"), w.caPem);
  writeFileSync(
    join(dir, "kubeconfig"),
    `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: ${c.info.url}
    certificate-authority-data: ${Buffer.from(c.info.caPem).toString("base64")}
users:
- name: pusher
  user:
    token: ${c.info.tokens.pusher}
contexts:
- name: c1
  context: {cluster: c1, user: pusher}
current-context: c1
`,
    { mode: 0o600 },
  );
  ns = await createNamespace(c, "vcli");
  await setValue(name, "wait-value-1");
  await setValue(expiring, "expiring-value-1", new Date(Date.now() + 10 * 86_400_000 + 3_600_000));
  d = await startDriverStandIn({ kc: c.admin, namespaces: [ns], vaults: w.vaults, reader: () => w.reader(), mode: "v1.6" });
  ctl = controllersStandIn(c.admin, d);
  await createSpc(c, ns, {
    name: "app",
    vault: "kv-alpha",
    objects: [
      { objectName: name, objectType: "secret" },
      { objectName: expiring, objectType: "secret" },
    ],
    secretObjects: [
      {
        secretName: "app-creds",
        type: "Opaque",
        data: [
          { objectName: name, key: "password" },
          { objectName: expiring, key: "other" },
        ],
      },
    ],
  });
  await createWorkload(c, ns, "Deployment", "api", { env: ["app-creds"], spc: "app" });
  await ctl.settle(ns, "Deployment", "api", 1);
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    KUBECONFIG: join(dir, "kubeconfig"),
    KVRP_VAULTS: JSON.stringify([...w.vaults.values()]),
    KVRP_KEYVAULT_CA_FILE: join(dir, "ca.pem"),
    KVRP_KEYVAULT_STATIC_TOKEN: "emulator",
    KVRP_KEYVAULT_API_VERSION: "7.6",
    KVRP_NAMESPACES_INCLUDE: ns,
  };
}, 240_000);

afterAll(async () => {
  d?.stop();
  await w?.stop();
});

/** Plays the controllers once the CLI's push restarted the Deployment for `version`. */
async function rollOutWhenRestarted(version: string, fate: "ready" | "crash"): Promise<string[]> {
  await ctl.restartedFor(ns, "Deployment", "api", "kv-alpha", name, version);
  await d.idle();
  return ctl.rollOut(ns, "Deployment", "api", fate);
}

describe("push --wait", () => {
  it("follows a good rotation to RotationVerified, a progress line per cluster, exit 0", async () => {
    const v2 = await setValue(name, "wait-value-2");
    const [r] = await Promise.all([
      cli(["push", "--vault", "kv-alpha", "--name", name, "--wait", "--timeout", "90s"]),
      rollOutWhenRestarted(v2, "ready"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PUSH kv-alpha\/secret\//);
    expect(r.stdout).toContain("Verifying (timeout 90 s)…");
    const progress = r.stdout.split("\n").filter((l) => /^\s+\[\s*[\d.]+ s\] c1: /.test(l));
    expect(progress.length, r.stdout).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)).toMatch(
      new RegExp(`c1: kv-alpha/${name}@${v2.slice(0, 8)} RotationVerified — 1 workload\\(s\\), [\\d.]+ s after the Key Vault event`),
    );
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("RotationVerified on every cluster it reached");
  });

  it("exits 1 when the new pods crash, naming them and CrashLoopBackOff", async () => {
    const v3 = await setValue(name, "wait-value-3");
    const [r, crashing] = await Promise.all([
      cli(["push", "--vault", "kv-alpha", "--name", name, "--wait", "--timeout", "90s"]),
      rollOutWhenRestarted(v3, "crash"),
    ]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(`c1: kv-alpha/${name}@${v3.slice(0, 8)} RotationFailed — Deployment ${ns}/api: pod ${crashing[0]}: CrashLoopBackOff`),
    );
    expect(r.stderr).toContain("RotationFailed");
  });

  it("--wait is refused with --dry-run; --timeout needs --wait and a unit", async () => {
    for (const [args, re] of [
      [["push", "--vault", "kv-alpha", "--name", name, "--wait", "--dry-run"], /--wait follows a push; a dry run has nothing to follow/],
      [["push", "--vault", "kv-alpha", "--name", name, "--timeout", "5m"], /--timeout needs --wait/],
      [["push", "--vault", "kv-alpha", "--name", name, "--wait", "--timeout", "10"], /--timeout must be a whole number with a unit/],
    ] as const) {
      const r = await cli([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
    }
  });
});

describe("status", () => {
  it("shows the last outcome of each rotation (table and JSON), filtered by vault and name", async () => {
    const t = await cli(["status", "--vault", "kv-alpha", "--name", name]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^ROTATIONS 1: 0 in flight, 0 verified, 1 failed/);
    expect(t.stdout).toMatch(new RegExp(`c1  kv-alpha/${name}@\\w{8}  RotationFailed  \\([\\d.]+ s after the Key Vault event\\)`));
    expect(t.stdout).toMatch(
      new RegExp(`FAILED    Deployment ${ns}/api\\n\\s+pod api-\\S+: CrashLoopBackOff: container app, 4 restart\\(s\\)`),
    );
    const j = await cli(["status", "--vault", "kv-alpha", "--name", name, "-o", "json"]);
    const body = JSON.parse(j.stdout) as { rotations: RotationOutcome[] };
    expect(body.rotations.map((r) => [r.objectName, r.state])).toEqual([[name, "failed"]]);
    const none = await cli(["status", "--vault", "kv-alpha", "--name", uniqueName("nothing")]);
    expect(none.stdout).toMatch(/ROTATIONS 0/);
    const bad = await cli(["status", "--name", name]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--name needs --vault/);
  });
});

describe("expiring", () => {
  it("lists objects in use that expire within the window, by workload, reading attributes only", async () => {
    const before = w.emulator.stats.byOperation("kv-alpha");
    const r = await cli(["expiring", "--within", "30d"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^EXPIRING within 30 day\(s\): 1 object\(s\) in use, 1 workload\(s\)/);
    expect(r.stdout).toMatch(new RegExp(`c1  kv-alpha/${expiring}  secret  expires in 10 days \\(\\d{4}-\\d{2}-\\d{2}\\)`));
    expect(r.stdout).toContain(`namespace ${ns}: SecretProviderClass app`);
    expect(r.stdout).toContain(`    Deployment ${ns}/api`);
    expect(r.stdout).not.toContain(`kv-alpha/${name} `); // no expiry set on it
    const after = w.emulator.stats.byOperation("kv-alpha");
    const delta = Object.fromEntries(
      Object.entries(after)
        .map(([k, v]) => [k, v - (before[k] ?? 0)])
        .filter(([, v]) => (v as number) > 0),
    );
    // Only the properties listing: no getSecret (a value), no version reads.
    expect(Object.keys(delta)).toEqual(["listSecrets"]);
    const narrow = await cli(["expiring", "--within", "5d"]);
    expect(narrow.stdout).toMatch(/EXPIRING within 5 day\(s\): 0 object\(s\)/);
  });
});
