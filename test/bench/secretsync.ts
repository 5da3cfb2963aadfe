// `npm run bench:secretsync`: how fast a Key Vault rotation reaches a Secret and its env consumers, on the two paths
// the pusher serves, in one run on the real local environment: kube-apiserver + etcd, the Key Vault emulator, the
// real Azure provider v1.8.2 on a test node, the real CSI driver v1.6.1 (kubelet stand-in) for the driver path, and a
// sync controller calling that provider (the real one when build-sync.sh provides it, else the stand-in) for the
// SecretSync path. Per path, KVRP_BENCH_SS_EVENTS rotations (default 15): a new version in Key Vault, its event
// pushed (push(), in process), and measured from the push's start:
//   - Secret: until the Secret holds the new value (watched from outside by polling every 20 ms);
//   - rollout: until the env consumer's restart was written (the report's receiptToRolloutsMs).
// Without the pusher the same change waits for the component's own poll: the driver's --rotation-poll-interval
// (default 2 min) and the Secret Store extension's rotationPollIntervalInSeconds (default 3600 s) — their documented
// defaults, not measured here. Writes test/bench/results/secretsync.md and secretsync.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { SecretClient } from "@azure/keyvault-secrets";
import type { RotationSignal, VaultConfig } from "../../shared/model/index.js";
import { push } from "../../shared/pipeline/push.js";
import { closeRuntime } from "../../shared/pipeline/runtime.js";
import { kubeConfigFor, startKubeEnv } from "../env/environment.js";
import { startKeyVaultEmulator, staticCredential, vaultClientOptions } from "../env/keyvault-emulator.js";
import { startRealDriver } from "../env/real-driver/test-driver.js";
import { vaultHostname } from "../env/real-driver/vault-network.js";
import { startSyncController } from "../env/secretsync/controller.js";
import { createCa, issueServerCert } from "../env/tls.js";
import { objectsYaml, podTemplate } from "../support/fixtures.js";
import { localConfig, localRuntime } from "../support/local-runtime.js";

const EVENTS = Number(process.env.KVRP_BENCH_SS_EVENTS ?? 15);
const VAULT = "kv-bench";
const here = new URL(".", import.meta.url).pathname;
const resultsDir = join(here.replace(/\/dist\/test\/bench\/?$/, "/test/bench"), "results");
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Sample {
  secretMs: number;
  rolloutMs?: number;
  /** SecretSync path: when the pass saw the controller's write. */
  syncedMs?: number;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};

async function main(): Promise<void> {
  const t0 = Date.now();
  const env = await startKubeEnv({ clusters: ["c1"] });
  const cluster = env.info.clusters[0]!;
  const ca = createCa({ commonName: "kvrp-bench-vault-ca" });
  const tls = issueServerCert(ca, { dnsNames: ["localhost", vaultHostname(VAULT)], ips: ["127.0.0.1"] });
  const emulator = await startKeyVaultEmulator({ vaults: [VAULT], tls: { cert: tls.certPem, key: tls.keyPem } });
  const admin = kubeConfigFor(cluster, cluster.tokens.admin, "admin");
  const core = admin.makeApiClient(CoreV1Api);
  const apps = admin.makeApiClient(AppsV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  const kv = new SecretClient(emulator.urlFor(VAULT), staticCredential(), vaultClientOptions(ca.certPem) as never);
  const node = await startRealDriver(admin, {
    cluster: { name: cluster.name, url: cluster.url, caPem: cluster.caPem, adminToken: cluster.tokens.admin },
    vaults: { [VAULT]: { host: "127.0.0.1", port: emulator.ports[VAULT]! } },
    vaultCaPem: ca.certPem,
    rotationPollInterval: "2s",
  });
  const ctl = await startSyncController({
    cluster: { name: cluster.name, url: cluster.url, caPem: cluster.caPem, adminToken: cluster.tokens.admin },
    providerDir: join(node.node.dir, "providers"),
    dir: node.node.dir,
    pollIntervalMs: 3_600_000,
    audiences: ["api://AzureADTokenExchange"],
  });
  log(`environment up in ${((Date.now() - t0) / 1000).toFixed(1)} s; sync controller: ${ctl.kind} (${ctl.source})`);
  const vaults = new Map<string, VaultConfig>([
    [
      VAULT,
      {
        name: VAULT,
        resourceId: `/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${VAULT}`,
        url: emulator.urlFor(VAULT),
      },
    ],
  ]);
  const rt = localRuntime(localConfig([cluster], vaults, {}, { secretSyncWaitSeconds: 30 }), ca.certPem);

  const spcParams = (object: string) => ({
    keyvaultName: VAULT,
    tenantID: "00000000-0000-0000-0000-0000000000aa",
    useVMManagedIdentity: "true",
    objects: objectsYaml([{ objectName: object, objectType: "secret" }]),
  });
  const createSpc = (ns: string, object: string, secretObjects?: unknown[]) =>
    custom.createNamespacedCustomObject({
      group: "secrets-store.csi.x-k8s.io",
      version: "v1",
      namespace: ns,
      plural: "secretproviderclasses",
      body: {
        apiVersion: "secrets-store.csi.x-k8s.io/v1",
        kind: "SecretProviderClass",
        metadata: { name: "kv" },
        spec: { provider: "azure", parameters: spcParams(object), ...(secretObjects ? { secretObjects } : {}) },
      },
    });
  const secretValue = async (ns: string, name: string) =>
    Buffer.from((await core.readNamespacedSecret({ namespace: ns, name })).data?.password ?? "", "base64").toString();
  const deploy = (ns: string, secret: string) =>
    apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: "api" },
        spec: { selector: { matchLabels: { app: "api" } }, template: podTemplate("api", { env: [secret] }) },
      },
    });

  // Driver path: a synced Secret (secretObjects) of a class a pod mounts through the real driver.
  await core.createNamespace({ body: { metadata: { name: "bench-driver" } } });
  await kv.setSecret("drv-obj", "value-0");
  await createSpc("bench-driver", "drv-obj", [
    { secretName: "app-creds", type: "Opaque", data: [{ objectName: "drv-obj", key: "password" }] },
  ]);
  await node.mount("bench-driver", "app-0", "kv");
  await node.ownersSettled();
  await deploy("bench-driver", "app-creds");

  // SecretSync path: a SecretSync of a class nobody mounts; the controller writes its Secret.
  await core.createNamespace({ body: { metadata: { name: "bench-sync" } } });
  await core.createNamespacedServiceAccount({ namespace: "bench-sync", body: { metadata: { name: "app" } } });
  await kv.setSecret("ss-obj", "value-0");
  await createSpc("bench-sync", "ss-obj");
  await custom.createNamespacedCustomObject({
    group: "secret-sync.x-k8s.io",
    version: "v1alpha1",
    namespace: "bench-sync",
    plural: "secretsyncs",
    body: {
      apiVersion: "secret-sync.x-k8s.io/v1alpha1",
      kind: "SecretSync",
      metadata: { name: "db-creds" },
      spec: {
        secretProviderClassName: "kv",
        serviceAccountName: "app",
        secretObject: { data: [{ sourcePath: "ss-obj", targetKey: "password" }] },
      },
    },
  });
  for (let i = 0; (await secretValue("bench-sync", "db-creds").catch(() => "")) !== "value-0"; i++) {
    if (i > 300) throw new Error(`the sync controller did not create bench-sync/db-creds; log ${ctl.logFile}`);
    await sleep(100);
  }
  await deploy("bench-sync", "db-creds");

  const samples: Record<"driver" | "secretsync", Sample[]> = { driver: [], secretsync: [] };
  const paths = [
    { path: "driver" as const, ns: "bench-driver", object: "drv-obj", secret: "app-creds" },
    { path: "secretsync" as const, ns: "bench-sync", object: "ss-obj", secret: "db-creds" },
  ];
  for (let i = 1; i <= EVENTS; i++)
    for (const p of paths) {
      // The driver skips a republish inside its poll interval after the last write (see docs/test-environment.md).
      if (p.path === "driver") await node.gateOpen();
      const value = `value-${i}`;
      const version = (await kv.setSecret(p.object, value)).properties.version!;
      const signal: RotationSignal = {
        vault: VAULT,
        objectType: "secret",
        objectName: p.object,
        version,
        eventTime: new Date().toISOString(),
        source: "eventgrid",
      };
      const start = Date.now();
      let secretMs: number | undefined;
      const watcher = (async () => {
        while (secretMs === undefined && Date.now() - start < 60_000) {
          if ((await secretValue(p.ns, p.secret).catch(() => "")) === value) secretMs = Date.now() - start;
          else await sleep(20);
        }
      })();
      const rep = await push(rt, [signal]);
      await watcher;
      if (secretMs === undefined) throw new Error(`${p.path}: the Secret did not get the new value within 60 s`);
      samples[p.path].push({
        secretMs,
        ...(rep.timings.receiptToRolloutsMs !== undefined ? { rolloutMs: rep.timings.receiptToRolloutsMs } : {}),
        ...(rep.timings.receiptToSecretSyncsMs !== undefined ? { syncedMs: rep.timings.receiptToSecretSyncsMs } : {}),
      });
      log(`${p.path} #${i}: Secret ${secretMs} ms, rollout ${rep.timings.receiptToRolloutsMs ?? "-"} ms`);
    }
  const total = (Date.now() - t0) / 1000;
  closeRuntime(rt);
  await ctl.stop();
  await node.stop();
  await emulator.close();
  await env.stop();

  const row = (name: string, xs: Sample[], poll: string) => {
    const s = xs.map((x) => x.secretMs);
    const r = xs.flatMap((x) => (x.rolloutMs !== undefined ? [x.rolloutMs] : []));
    return `| ${name} | ${xs.length} | ${pct(s, 50)} / ${pct(s, 95)} / ${Math.max(...s)} | ${r.length ? `${pct(r, 50)} / ${pct(r, 95)} / ${Math.max(...r)}` : "—"} (${r.length}/${xs.length}) | ${poll} |`;
  };
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, load ${loadavg()[0]!.toFixed(1)}`;
  const md = [
    "# SecretSync path vs driver path (one run)",
    "",
    `${new Date().toISOString()} · ${machine} · ${EVENTS} rotations per path · sync controller: ${ctl.kind} (${ctl.source}) · ${total.toFixed(0)} s`,
    "",
    "Milliseconds from the event's push to: the Secret holding the new value (observed from outside) and the env consumer's",
    "rollout written (the pusher's report). p50 / p95 / max.",
    "",
    "| path | rotations | Secret updated | consumer rollout written | without the pusher (component's default poll) |",
    "| --- | --- | --- | --- | --- |",
    row("CSI driver (synced Secret patched by the pusher, with proof)", samples.driver, "driver `--rotation-poll-interval`, default 2 min"),
    row(
      "SecretSync (forceSynchronization nudge, the controller writes)",
      samples.secretsync,
      "extension `rotationPollIntervalInSeconds`, default 3600 s",
    ),
    "",
  ].join("\n");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "secretsync.md"), md);
  writeFileSync(
    join(resultsDir, "secretsync.json"),
    JSON.stringify({ date: new Date().toISOString(), machine, controller: ctl.kind, samples }, null, 1),
  );
  process.stdout.write(`${md}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
