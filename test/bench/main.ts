// `npm run bench`: the pusher at cluster scale on the real local environment (kube-apiserver + etcd, Key Vault
// emulator), against the CSI driver's polling. Prints a markdown table, writes it to test/bench/results/latest.md and
// an SVG chart to test/bench/results/latency.svg.
//
// Per scale (100, 1,000, 10,000 SPCs; a fresh control plane each): seed through the API server, then ≥ 50 rotation
// events cold (fresh runtime each) and 50 warm (one runtime), half on single-SPC objects, half on fan-out objects,
// delivered as Key Vault's Event Grid events to handleDelivery in a separate pusher process (restricted pusher
// token); then the timer's reconcile. Before the scales: module load of the deployable package (module-load.ts).
// Env: KVRP_BENCH_SCALES=100,1000 KVRP_BENCH_EVENTS=50 (per mode), KVRP_BENCH_MODULE_LOAD_SAMPLES=30,
// KVRP_BENCH_SETTLE_MS=1000 (quiet around each floor sample).
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { Watch } from "@kubernetes/client-node";
import { kubeConfigFor, startKubeEnv, type ClusterInfo } from "../env/environment.js";
import { startKeyVaultEmulator, type KeyVaultEmulator } from "../env/keyvault-emulator.js";
import { createCa, issueServerCert } from "../env/tls.js";
import { localConfig } from "../support/local-runtime.js";
import { simulateEvent } from "./baseline.js";
import { RawKube } from "./http.js";
import type { ScaleResult, EventClass, Mode } from "./output.js";
import { resultsDir, writeOutputs } from "./write.js";
import type { FloorSample, PusherReply, PusherRequest, Sample } from "./pusher.js";
import { seedCluster } from "./seed.js";
import { VAULT, clusterModel, fan, solo, type ClusterModel } from "./workload.js";
import { measureModuleLoad } from "./module-load.js";

const SCALES = (process.env.KVRP_BENCH_SCALES ?? "100,1000,10000").split(",").map((s) => Number(s.trim()));
const EVENTS = Number(process.env.KVRP_BENCH_EVENTS ?? 50);
const SEED_CONCURRENCY = Number(process.env.KVRP_BENCH_SEED_CONCURRENCY ?? 48);
const RECONCILE_RUNS = Number(process.env.KVRP_BENCH_RECONCILE_RUNS ?? 2);
const SUB = "00000000-0000-0000-0000-0000000000b0";
const RESOURCE_ID = `/subscriptions/${SUB}/resourceGroups/rg-bench/providers/Microsoft.KeyVault/vaults/${VAULT}`;
const here = new URL(".", import.meta.url).pathname;
const SETTLE_MS = Number(process.env.KVRP_BENCH_SETTLE_MS ?? 1000);
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

const log = (s: string) => process.stderr.write(`${s}\n`);

class Pusher {
  private waiting: ((r: PusherReply) => void)[] = [];
  constructor(private readonly child: ChildProcess) {
    child.on("message", (m: PusherReply) => this.waiting.shift()?.(m));
    child.on("exit", (code) => {
      if (code) for (const w of this.waiting.splice(0)) w({ type: "ready" });
    });
  }
  static start(): Pusher {
    return new Pusher(
      fork(join(here, "pusher.js"), [], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        execArgv: [
          ...process.execArgv,
          "--expose-gc",
          ...(process.env.KVRP_BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.KVRP_BENCH_PROF}`] : []),
        ],
      }),
    );
  }
  request(r: PusherRequest): Promise<PusherReply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send(r);
    });
  }
  async sample(r: PusherRequest): Promise<Sample> {
    const reply = await this.request(r);
    if (reply.type !== "sample") throw new Error(`pusher process: expected a sample, got ${reply.type} (did it crash?)`);
    return reply.sample;
  }
  async floor(r: PusherRequest): Promise<FloorSample> {
    const reply = await this.request(r);
    if (reply.type !== "floor") throw new Error(`pusher process: expected a floor sample, got ${reply.type} (did it crash?)`);
    return reply.sample;
  }
}

function keyVaultEvent(objectName: string, version: string) {
  return [
    {
      id: `bench-${randomBytes(8).toString("hex")}`,
      topic: RESOURCE_ID,
      subject: objectName,
      eventType: "Microsoft.KeyVault.SecretNewVersionCreated",
      eventTime: new Date().toISOString(),
      data: {
        Id: `https://${VAULT}.vault.azure.net/secrets/${objectName}/${version}`,
        VaultName: VAULT,
        ObjectType: "Secret",
        ObjectName: objectName,
        Version: version,
        NBF: null,
        EXP: null,
      },
      dataVersion: "1",
      metadataVersion: "1",
    },
  ];
}

/** Watch delivery latency on this API server: patch a Secret, time until a watch sees it (Reloader's extra step). */
async function watchLatencyMs(cluster: ClusterInfo, kube: RawKube, ns: string, name: string): Promise<number> {
  const kc = kubeConfigFor(cluster, cluster.tokens.admin, "admin");
  const seen = new Map<string, number>();
  let resolveNext: (() => void) | undefined;
  const ctl = await new Watch(kc).watch(
    `/api/v1/namespaces/${ns}/secrets`,
    { fieldSelector: `metadata.name=${name}` },
    (type, obj: { metadata?: { annotations?: Record<string, string> } }) => {
      const mark = obj.metadata?.annotations?.["bench/mark"];
      if (type === "MODIFIED" && mark && !seen.has(mark)) {
        seen.set(mark, Date.now());
        resolveNext?.();
      }
    },
    () => {},
  );
  const lat: number[] = [];
  try {
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 20; i++) {
      const mark = `m${i}`;
      const got = new Promise<void>((r) => (resolveNext = r));
      const t0 = Date.now();
      await kube.json(
        "PATCH",
        `/api/v1/namespaces/${ns}/secrets/${name}`,
        { metadata: { annotations: { "bench/mark": mark } } },
        "application/merge-patch+json",
      );
      await Promise.race([got, new Promise((r) => setTimeout(r, 5000))]);
      if (seen.has(mark)) lat.push(seen.get(mark)! - t0);
    }
  } finally {
    ctl.abort();
  }
  lat.sort((a, b) => a - b);
  return lat[Math.floor(lat.length / 2)] ?? NaN;
}

/** The affected SPCs' pod counts for an object (for the driver model). */
function podsPerAffectedSpc(model: ClusterModel, objectName: string): number[] {
  return (model.referrers.get(objectName) ?? []).map((i) => model.spc(i).pods.length);
}

async function runScale(
  scale: number,
  emulator: KeyVaultEmulator,
  vaultCaPem: string,
  values: Map<string, { value: string; version: string }>,
): Promise<ScaleResult> {
  const t0 = Date.now();
  const model = clusterModel(scale);
  log(
    `\n== ${scale.toLocaleString("en-US")} SecretProviderClasses: ${model.totals.namespaces} namespaces, ${model.totals.pods} pods, ${model.fanObjects} fan-out + ${Math.min(50, scale)} single objects`,
  );
  const env = await startKubeEnv({ clusters: ["bench"] });
  const cluster = env.info.clusters[0]!;
  const kube = new RawKube(cluster.url, cluster.caPem, cluster.tokens.admin, 64);
  let pusher: Pusher | undefined;
  try {
    const seeded = await seedCluster(kube, model, values, SEED_CONCURRENCY);
    log(`  seeded ${seeded.objects.toLocaleString("en-US")} objects in ${seeded.seconds.toFixed(1)} s (${seeded.perSecond.toFixed(0)}/s)`);
    const s0 = model.spc(0);
    const watchMs = await watchLatencyMs(cluster, kube, s0.namespace, s0.secretName);

    pusher = Pusher.start();
    const cfg = localConfig([cluster], new Map([[VAULT, { name: VAULT, resourceId: RESOURCE_ID, url: emulator.urlFor(VAULT) }]]));
    await pusher.request({ type: "init", config: { ...cfg, vaults: [...cfg.vaults.entries()] }, vaultCaPem });

    let id = 0;
    // The timer in steady state (everything up to date, as every 5 minutes between rotations), before any event.
    const reconciles: { sample: Sample; kvReads: number }[] = [];
    for (let r = 0; r < RECONCILE_RUNS; r++) {
      const kv0 = emulator.stats.reads(VAULT);
      const sample = await pusher.sample({ type: "reconcile", id: ++id });
      reconciles.push({ sample, kvReads: emulator.stats.reads(VAULT) - kv0 });
    }
    log(`  reconcile: ${reconciles.map((r) => `${(r.sample.durationMs / 1000).toFixed(1)} s`).join(", ")}`);
    const samples: { mode: Mode; cls: EventClass; object: string; sample: Sample; kvReads: number; affectedSpcs: number }[] = [];
    const rotateAndDeliver = async (mode: Mode, cls: EventClass, object: string) => {
      const v = emulator.seedSecret(VAULT, object, `${object}-${randomBytes(6).toString("hex")}`);
      values.set(object, { value: "", version: v.version });
      const kv0 = emulator.stats.reads(VAULT);
      const sample = await pusher!.sample({ type: "event", id: ++id, body: keyVaultEvent(object, v.version), cold: mode === "cold" });
      const kvReads = emulator.stats.reads(VAULT) - kv0;
      if (!sample.ok) log(`  ! event ${object} (${mode}) failed: ${sample.error ?? "retry requested"}`);
      return { mode, cls, object, sample, kvReads, affectedSpcs: model.referrers.get(object)?.length ?? 0 };
    };
    const fanAt = (j: number) => fan((j * 7) % model.fanObjects);
    const half = Math.ceil(EVENTS / 2);
    // The floor on the same API server and vault, through the pusher's own clients: after each warm event, for the same
    // object (same Secrets, pods and Deployments, same moment's load): pusher.ts's FloorSample says what it times.
    const floors: { cls: EventClass; sample: FloorSample }[] = [];
    const floorFor = async (cls: EventClass, object: string) => {
      const spcs = (model.referrers.get(object) ?? []).map((i) => model.spc(i));
      const secrets = spcs.map((s): [string, string] => [s.namespace, s.secretName]);
      const pods = spcs.flatMap((s) => s.pods.map((p): [string, string] => [s.namespace, p]));
      const deployments = spcs.map((s): [string, string] => [s.namespace, s.deployment]);
      // Quiet before and after: the event's own writes are still reaching the pusher's watch caches (and the floor's
      // then reach them too); neither may be timed into the other.
      await settle();
      floors.push({ cls, sample: await pusher!.floor({ type: "floor", id: ++id, object, secrets, pods, deployments }) });
      await settle();
    };
    for (const mode of ["cold", "warm"] as const) {
      if (mode === "warm") {
        await pusher.request({ type: "gc" }); // the cold runtimes' garbage is not the warm instance's
        await rotateAndDeliver("warm", "fan-out", fanAt(2 * half + 1)); // warm-up, not counted
      }
      for (let k = 0; k < EVENTS; k++) {
        const j = Math.floor(k / 2) + (mode === "warm" ? half : 0);
        const cls: EventClass = k % 2 === 0 ? "single" : "fan-out";
        const object = cls === "single" ? solo(j % Math.min(50, scale)) : fanAt(j);
        samples.push(await rotateAndDeliver(mode, cls, object));
        if (mode === "warm") await floorFor(cls, object);
        if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K  events: ${mode} ${k + 1}/${EVENTS}`);
      }
      if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
      log(`  ${mode}: ${EVENTS} events done`);
    }

    const peaks = await pusher.request({ type: "exit" });
    pusher = undefined;

    // Driver baselines for the same events (Monte Carlo of the documented model, seeded per event).
    const driver = samples.map((s, i) => ({
      mode: s.mode,
      cls: s.cls,
      ...simulateEvent(podsPerAffectedSpc(model, s.object), scale * 1000 + i),
    }));
    return {
      scale,
      model: model.totals,
      fanDegree: avg(
        model.vaultObjects
          .filter((o) => o.startsWith("fan-"))
          .map((o) => model.referrers.get(o)?.length ?? 0)
          .filter((n) => n > 0),
      ),
      seed: seeded,
      watchMs,
      samples: samples.map((s) => ({ mode: s.mode, cls: s.cls, sample: s.sample, kvReads: s.kvReads, affectedSpcs: s.affectedSpcs })),
      floors,
      reconciles,
      peaks: peaks.type === "peaks" ? peaks : { heapPeak: NaN, rssPeak: NaN, maxRss: NaN, retainedHeap: NaN },
      driver,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    if (pusher) await pusher.request({ type: "exit" }).catch(() => undefined);
    kube.close();
    await env.stop();
  }
}

function avg(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  // First, while nothing else of the bench runs: module load of the deployable package vs the unbundled build.
  log("module load: fresh node processes loading the packaged app and the unbundled dist build…");
  const moduleLoad = measureModuleLoad();
  for (const r of moduleLoad) log(`  ${r.build}: p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms (${r.samples.length} samples)`);
  const ca = createCa({ commonName: "kvrp bench vault CA" });
  const tls = issueServerCert(ca, { dnsNames: ["localhost"], ips: ["127.0.0.1"] });
  const emulator = await startKeyVaultEmulator({ vaults: [VAULT], tls: { cert: tls.certPem, key: tls.keyPem } });
  const results: ScaleResult[] = [];
  try {
    const values = new Map<string, { value: string; version: string }>();
    for (const o of clusterModel(SCALES[0] ?? 100).vaultObjects) {
      const value = `${o}-initial-${randomBytes(6).toString("hex")}`;
      values.set(o, { value, version: emulator.seedSecret(VAULT, o, value).version });
    }
    for (const scale of SCALES) {
      // Each scale starts from the vault's current values: re-seed so synced Secrets and SPCPS are up to date.
      for (const [o, v] of values)
        if (!v.value) {
          const value = `${o}-reseed-${randomBytes(6).toString("hex")}`;
          values.set(o, { value, version: emulator.seedSecret(VAULT, o, value).version });
        }
      emulator.stats.reset();
      results.push(await runScale(scale, emulator, ca.certPem, values));
    }
  } finally {
    await emulator.close();
  }
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "?",
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load: loadavg(),
  };
  const totalSeconds = (Date.now() - t0) / 1000;
  const md = await writeOutputs({ date: new Date().toISOString(), machine, totalSeconds, eventsPerMode: EVENTS, results, moduleLoad }, log);
  process.stdout.write(md);
  log(`\nwrote ${join(resultsDir, "latest.md")}, latency.svg, latest.json — total ${(totalSeconds / 60).toFixed(1)} min`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
