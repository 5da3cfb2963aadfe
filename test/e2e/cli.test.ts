// The built CLI (`node dist/shared/cli/main.js`, the package bin) as an operator runs it, against the local
// environment: a kubeconfig file for the test cluster with the pusher's restricted token, a Key Vault emulator with
// its own CA (trusted through KVRP_KEYVAULT_CA_FILE), KVRP_VAULTS pointing at it, and the real Secrets Store CSI
// driver v1.6 + Azure provider (kubelet stand-in) reading that emulator.
//
// Build on demand: the CLI runs from dist/, so beforeAll compiles (tsc -p tsconfig.json, under the same Node) when
// dist/shared/cli/main.js is missing or older than any .ts file under shared/. `npm test` builds first anyway.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretClient } from "@azure/keyvault-secrets";
import type { Report } from "../../shared/report/report.js";
import type { VaultConfig } from "../../shared/model/index.js";
import { startRealDriver, type RealDriver } from "../env/real-driver/test-driver.js";
import { vaultHostname } from "../env/real-driver/vault-network.js";
import { startKeyVaultEmulator, staticCredential, vaultClientOptions, type KeyVaultEmulator } from "../env/keyvault-emulator.js";
import { createCa, issueServerCert } from "../env/tls.js";
import {
  createNamespace,
  createSpc,
  createWorkload,
  generation,
  keyVaultEvent,
  resourceId,
  secretData,
  setRequiresRepublish,
  startWorld,
  uniqueName,
  type ClusterHandles,
  type World,
} from "../support/world.js";
import { buildCliIfStale, cliMainJs } from "../support/built-cli.js";
import { pusherKubeconfig } from "../support/cli-env.js";

let w: World;
let c: ClusterHandles;
let emulator: KeyVaultEmulator;
let secrets: SecretClient;
let d: RealDriver;
let ns: string;
let dir: string;
let env: NodeJS.ProcessEnv;
const name = uniqueName("cli-db");
const seen: string[] = []; // every value written: none may appear in any output

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    // async spawn: the emulator and the kubelet stand-in live in this process and must keep serving meanwhile.
    const p = spawn(process.execPath, [cliMainJs, ...args], { env: opts.env ?? env, cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
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
      expect(stderr).not.toMatch(/\n\s+at /); // never a stack trace
      resolve({ code, stdout, stderr });
    });
    p.stdin.end(opts.stdin ?? "");
  });
}

/** When each value's version was created (Key Vault's one-second resolution decides whether proofs need a re-read). */
const createdAt = new Map<string, number>();

async function setSecret(value: string): Promise<string> {
  seen.push(value);
  const s = await secrets.setSecret(name, value);
  createdAt.set(value, s.properties.createdOn!.getTime());
  return s.properties.version!;
}

async function state() {
  const s = await c.core.readNamespacedSecret({ namespace: ns, name: "app-creds" });
  const dep = await c.apps.readNamespacedDeployment({ namespace: ns, name: "api" });
  // Rollouts are counted by template changes (a Deployment's generation also moves with its annotations).
  return {
    secret: s.metadata!.resourceVersion!,
    deployment: dep.metadata!.resourceVersion!,
    gen: await generation(c, ns, "Deployment", "api"),
  };
}

beforeAll(async () => {
  buildCliIfStale();
  w = await startWorld();
  c = w.clusters[0]!;
  await setRequiresRepublish(c, true);
  dir = mkdtempSync(join(tmpdir(), "kvrp-cli-e2e-"));
  // A Key Vault emulator of this file's own, so the CLI can be given its CA as a file.
  const ca = createCa({ commonName: "kvrp-cli-test-ca" });
  const tls = issueServerCert(ca, { dnsNames: ["localhost", vaultHostname("kv-alpha")], ips: ["127.0.0.1"] });
  emulator = await startKeyVaultEmulator({ vaults: ["kv-alpha"], tls: { cert: tls.certPem, key: tls.keyPem } });
  const opts = vaultClientOptions(ca.certPem);
  secrets = new SecretClient(emulator.urlFor("kv-alpha"), staticCredential(), opts as never);
  const vaults = new Map<string, VaultConfig>([
    ["kv-alpha", { name: "kv-alpha", resourceId: resourceId("kv-alpha"), url: emulator.urlFor("kv-alpha") }],
  ]);
  writeFileSync(join(dir, "ca.pem"), ca.certPem);
  const kubeconfig = (server: string) => pusherKubeconfig(c, server);
  writeFileSync(join(dir, "kubeconfig"), kubeconfig(c.info.url), { mode: 0o600 });
  writeFileSync(join(dir, "kubeconfig-down"), kubeconfig("https://127.0.0.1:1"), { mode: 0o600 });

  ns = await createNamespace(c, "cli");
  await setSecret("cli-value-1");
  d = await startRealDriver(c.admin, {
    cluster: { name: c.info.name, url: c.info.url, caPem: c.info.caPem, adminToken: c.info.tokens.admin },
    vaults: { "kv-alpha": { host: "127.0.0.1", port: emulator.ports["kv-alpha"]! } },
    vaultCaPem: ca.certPem,
    rotationPollInterval: "2s",
  });
  await createSpc(c, ns, {
    name: "app",
    vault: "kv-alpha",
    objects: [{ objectName: name, objectType: "secret" }],
    secretObjects: [{ secretName: "app-creds", type: "Opaque", data: [{ objectName: name, key: "password" }] }],
  });
  await d.mount(ns, "api-0", "app");
  await d.ownersSettled(); // the driver's own later writes (owner references) would move resourceVersions below
  await createWorkload(c, ns, "Deployment", "api", { env: ["app-creds"], spc: "app" });

  env = {
    PATH: process.env.PATH,
    HOME: dir, // no ~/.kube/config of the machine's user
    KUBECONFIG: join(dir, "kubeconfig"),
    KVRP_VAULTS: JSON.stringify([...vaults.values()]),
    KVRP_KEYVAULT_CA_FILE: join(dir, "ca.pem"),
    KVRP_KEYVAULT_STATIC_TOKEN: "emulator",
    // Only this file's namespace: drift must not look at objects other test files left in the shared cluster.
    KVRP_NAMESPACES_INCLUDE: ns,
  };
}, 240_000);

afterAll(async () => {
  await d?.stop();
  await emulator?.close();
  await w?.stop();
});

describe("usage", () => {
  it("--help (global and per command) → stdout, exit 0", async () => {
    const g = await cli(["--help"]);
    expect(g.code).toBe(0);
    expect(g.stdout).toMatch(/^kv-rotation-pusher — push Azure Key Vault rotations/);
    expect(g.stdout).toMatch(/kv-rotation-pusher event \[FILE\|-\] \[--dry-run\]/);
    for (const cmd of ["push", "plan", "drift", "event"]) {
      const r = await cli([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: kv-rotation-pusher ${cmd}`));
      expect(r.stderr).toBe("");
    }
  });

  it.each([
    ["no command", [], /a command is required/],
    ["unknown command", ["rotate"], /unknown command "rotate"/],
    ["unknown flag", ["plan", "--vault", "kv-alpha", "--name", "x", "--force"], /Unknown option '--force'/],
    ["missing --vault", ["push", "--name", "x"], /--vault is required/],
    [
      "invalid name",
      ["push", "--vault", "kv-alpha", "--name", "no_underscores"],
      /--name: objectName "no_underscores" is not a valid Key Vault object name/,
    ],
    [
      "vault outside the allow-list",
      ["plan", "--vault", "kv-gamma", "--name", "x"],
      /--vault: vault "kv-gamma" is not in this app's vault allow-list/,
    ],
    [
      "unknown context",
      ["plan", "--vault", "kv-alpha", "--name", "x", "--context", "prod"],
      /context "prod" is not in the kubeconfig; contexts: c1/,
    ],
    ["unknown cluster", ["drift", "--cluster", "c9"], /--cluster: unknown cluster "c9"; available: "c1"/],
    ["missing event file", ["event", join("/nonexistent", "event.json")], /cannot read .*ENOENT/],
  ])("%s → exit 2 with the reason on stderr", async (_what, args, message) => {
    const r = await cli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/--help' for usage/);
    expect(r.stdout).toBe("");
  });

  it("missing KVRP_VAULTS → exit 2 naming the setting", async () => {
    const r = await cli(["drift"], { env: { ...env, KVRP_VAULTS: "" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/KVRP_VAULTS: is required/);
  });
});

describe("against the local environment", () => {
  it("plan and drift (table and json) change nothing; push (table) pushes", async () => {
    await d.gateOpen(); // nudges must reach the driver outside its --rotation-poll-interval after the mount changed
    await setSecret("cli-value-2");
    const before = await state();

    // One-shot runs keep no caches: the proof lists the versions, then reads the one the Secret holds (and re-reads the
    // latest when both were created in the same second, to order them).
    const tie = createdAt.get("cli-value-1") === createdAt.get("cli-value-2") ? 1 : 0;
    const plan = await cli(["plan", "--vault", "kv-alpha", "--name", name, "--namespace", ns]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toBe(""); // no progress noise when stderr is not a terminal
    expect(plan.stdout).toMatch(
      new RegExp(`^PLAN \\(dry run\\) kv-alpha/secret/${name} — \\d+ ms, ${3 + tie} Key Vault read\\(s\\) \\(${2 + tie} for proofs\\)`),
    );
    expect(plan.stdout).toMatch(/cluster c1: ok/);
    expect(plan.stdout).toMatch(new RegExp(`PLANNED\\s+patchSecret\\s+.*${ns}/app-creds`));
    expect(plan.stdout).toMatch(/PLANNED\s+restartWorkload/);
    // --verbose: the function app's structured summary line on stderr, value-free; stdout still the report.
    const planV = await cli(["plan", "--vault", "kv-alpha", "--name", name, "--namespace", ns, "-v"]);
    expect(planV.code, planV.stderr).toBe(0);
    expect(planV.stderr).toMatch(/^\[info\] \{"msg":"push summary","invocationId":"[^"]+","trigger":"event","dryRun":true,/m);
    expect(planV.stderr).not.toContain("cli-value-2");
    expect(planV.stdout).toMatch(new RegExp(`^PLAN \\(dry run\\) kv-alpha/secret/${name} — `));

    const planJson = await cli([
      "plan",
      "--vault",
      "kv-alpha",
      "--name",
      name,
      "-o",
      "json",
      "--kubeconfig",
      join(dir, "kubeconfig"),
      "--context",
      "c1",
      "--cluster",
      "c1",
    ]);
    expect(planJson.code, planJson.stderr).toBe(0);
    const pr = JSON.parse(planJson.stdout) as Report;
    expect(pr).toMatchObject({
      dryRun: true,
      vaultReads: 3 + tie, // the latest version; the listing and the version the Secret holds (proof the driver synced it)
      proofReads: 2 + tie,
      retry: false,
      counts: { secretsPatched: 0, workloadsRestarted: 0, failed: 0 },
    });
    expect(pr.signals[0]).toMatchObject({ vault: "kv-alpha", objectType: "secret", objectName: name, source: "cli" });
    expect(pr.counts.planned).toBeGreaterThanOrEqual(2);

    const drift = await cli(["drift"]);
    expect(drift.code, drift.stderr).toBe(0);
    expect(drift.stdout).toMatch(/^PLAN \(dry run\)/);
    expect(drift.stdout).toMatch(/drift: 1 objects checked, 1 drifted/);
    const driftJson = await cli(["drift", "--output", "json"]);
    expect(driftJson.code).toBe(0);
    const dr = JSON.parse(driftJson.stdout) as Report;
    expect(dr).toMatchObject({ trigger: "drift", dryRun: true, drift: { objectsChecked: 1, driftFound: 1 } });

    expect(await state()).toEqual(before);

    const push = await cli(["push", "--vault", "kv-alpha", "--name", name]);
    expect(push.code, push.stdout + push.stderr).toBe(0);
    expect(push.stdout).toMatch(new RegExp(`^PUSH kv-alpha/secret/${name}`));
    expect(push.stdout).toMatch(new RegExp(`APPLIED\\s+patchSecret\\s+.*${ns}/app-creds`));
    expect(push.stdout).toMatch(/secrets patched 1, pods nudged \d+, workloads restarted 1/);
    expect((await secretData(c, ns, "app-creds")).password).toBe("cli-value-2");
    expect((await state()).gen).toBe(before.gen + 1);
    await d.idle();

    const clean = await cli(["drift", "-o", "json"]);
    expect((JSON.parse(clean.stdout) as Report).drift?.driftFound).toBe(0);
  });

  it("event - (stdin): json pushes; table; --dry-run; a forged event is rejected with exit 1", async () => {
    await d.gateOpen();
    const v3 = await setSecret("cli-value-3");
    const gen0 = (await state()).gen;
    const dry = await cli(["event", "-", "--dry-run"], { stdin: JSON.stringify([keyVaultEvent(w, "kv-alpha", "Secret", name, v3)]) });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      new RegExp(`^EVENTS 1: 1 to push, 0 expiry, 0 ignored, 0 duplicate, 0 rejected\\n {2}SIGNAL {4}evt-\\w+  kv-alpha/secret/${name}@`),
    );
    expect(dry.stdout).toMatch(/PLAN \(dry run\)/);
    expect((await secretData(c, ns, "app-creds")).password).toBe("cli-value-2");

    const ev = await cli(["event", "-", "-o", "json"], { stdin: JSON.stringify([keyVaultEvent(w, "kv-alpha", "Secret", name, v3)]) });
    expect(ev.code, ev.stderr).toBe(0);
    const out = JSON.parse(ev.stdout) as { events: { kind: string; objectName?: string }[]; report: Report };
    expect(out.events).toEqual([expect.objectContaining({ kind: "signal", vault: "kv-alpha", objectName: name, version: v3 })]);
    expect(out.report).toMatchObject({ dryRun: false, counts: { secretsPatched: 1, workloadsRestarted: 1, failed: 0 } });
    expect((await secretData(c, ns, "app-creds")).password).toBe("cli-value-3");
    expect((await state()).gen).toBe(gen0 + 1);
    await d.idle();

    // Same event again, as a table: nothing left to do.
    const again = await cli(["event"], { stdin: JSON.stringify(keyVaultEvent(w, "kv-alpha", "Secret", name, v3)) });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^EVENTS 1: 1 to push/);
    expect(again.stdout).toMatch(/secrets patched 0, pods nudged 0, workloads restarted 0/);

    // From a file; a topic that is not the vault's resource id: rejected, nothing pushed, exit 1.
    const forged = { ...keyVaultEvent(w, "kv-alpha", "Secret", name, v3), topic: resourceId("kv-alpha").replace("rg-kvrp", "rg-evil") };
    writeFileSync(join(dir, "forged.json"), JSON.stringify([forged]));
    const rej = await cli(["event", join(dir, "forged.json")]);
    expect(rej.code).toBe(1);
    expect(rej.stdout).toMatch(/^EVENTS 1: 0 to push, 0 expiry, 0 ignored, 0 duplicate, 1 rejected\n {2}REJECTED/);
    expect(rej.stdout).toMatch(/nothing to push/);
    expect(rej.stderr).toMatch(/1 event\(s\) rejected/);
  });

  it("an unreachable API server → exit 1, the report says why", async () => {
    const table = await cli(["push", "--vault", "kv-alpha", "--name", name, "--kubeconfig", join(dir, "kubeconfig-down")]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/cluster c1: FAILED: .*ECONNREFUSED/);
    expect(table.stderr).toMatch(/incomplete \(transient failure; safe to run again\): c1: /);
    const json = await cli(["drift", "-o", "json", "--kubeconfig", join(dir, "kubeconfig-down")]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ retry: true, clusters: [{ cluster: "c1", ok: false }] });
  });
});
