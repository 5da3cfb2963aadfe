// The pusher under measurement, in its own process (so its memory is its own): it receives Event Grid deliveries
// over IPC and handles them exactly as the function does (handleDelivery → push), with the restricted pusher token.
// Cold = a fresh runtime for the event (no connections, tokens, SPC index or discovery cached); warm = one runtime
// reused across events, as a warm function instance does.
import { getHeapStatistics } from "node:v8";
import pLimit from "p-limit";
import { handleDelivery } from "../../shared/entry/event-delivery.js";
import type { LogSink } from "../../shared/entry/log.js";
import { reconcile } from "../../shared/pipeline/reconcile.js";
import { closeRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import type { Config } from "../../shared/config/config.js";
import type { Report } from "../../shared/report/report.js";
import type { VaultConfig } from "../../shared/model/index.js";
import { VaultReader } from "../../shared/vault/reader.js";
import { localRuntime } from "../support/local-runtime.js";

export type PusherRequest =
  | { type: "init"; config: Omit<Config, "vaults"> & { vaults: [string, VaultConfig][] }; vaultCaPem: string }
  | { type: "event"; id: number; body: unknown; cold: boolean }
  | { type: "reconcile"; id: number }
  | { type: "floor"; id: number; object: string; secrets: [string, string][]; pods: [string, string][]; deployments: [string, string][] }
  | { type: "resetPeaks" }
  | { type: "gc" }
  | { type: "exit" };

export interface Sample {
  id: number;
  ok: boolean;
  error?: string;
  durationMs: number;
  secretsMs?: number;
  podsMs?: number;
  rolloutsMs?: number;
  counts: Report["counts"];
  skipsByReason: Record<string, number>;
  vaultReads: number;
  /** Of those, reads made to prove a Secret (or order a version) rather than to read the latest. */
  proofReads?: number;
  requests: Record<string, number>;
  bytesRead?: number;
  watchBytes?: number;
  watches: number;
  heapPeak: number;
  rssPeak: number;
  drift?: Report["drift"];
  /** ms after the sample until the invocation's background Kubernetes Events were all sent (not in the latencies). */
  eventsDrainedMs?: number;
  /** Kubernetes Events sent in the background for this invocation. */
  eventsSent?: number;
}

/**
 * The floor, stage by stage as the pusher must order them (a pod is nudged only after its Secret landed, a rollout
 * only after the nudges): one Key Vault read, then every affected Secret's GET + PATCH, then every affected pod's
 * PATCH, then every env-consuming Deployment's template PATCH, each stage at the pusher's concurrency. Times are
 * cumulative from the start. `spcListMs` is what a cold instance adds before any of it: one unpaginated list of every
 * SPC (the only way to learn which SPCs reference an object: the reference sits in a YAML string no selector reaches).
 */
export interface FloorSample {
  id: number;
  ms: number;
  secrets: number;
  /** Absent in runs made before the staged floor. */
  podsMs?: number;
  rolloutsMs?: number;
  spcListMs?: number;
}

export type PusherReply =
  | { type: "ready" }
  | { type: "sample"; sample: Sample }
  | { type: "floor"; sample: FloorSample }
  | { type: "peaks"; heapPeak: number; rssPeak: number; maxRss: number; retainedHeap: number };

let config: Config | undefined;
let caPem = "";
let warm: Runtime | undefined;
let heapPeak = 0;
let rssPeak = 0;

function sampleMemory(): void {
  heapPeak = Math.max(heapPeak, getHeapStatistics().used_heap_size);
}
// A cheap call every 50 ms: the sampler must not take CPU from the process it measures (RSS: the lifetime peak at exit).
setInterval(sampleMemory, 50).unref();

function send(r: PusherReply): void {
  process.send!(r);
}

function diff(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) out[k] = v - (before.get(k) ?? 0);
  return out;
}

function maxAt(rep: Report, type: string): number | undefined {
  let m: number | undefined;
  for (const c of rep.clusters)
    for (const a of c.actions) if (a.type === type && a.status === "applied" && a.atMs !== undefined) m = Math.max(m ?? 0, a.atMs);
  return m;
}

async function measure(id: number, rt: Runtime, fresh: boolean, run: (receivedAt: Date) => Promise<Report | undefined>): Promise<Sample> {
  const api = rt.clusters[0]!;
  const before = new Map(api.stats.counts);
  const bytes0 = api.stats.bytesRead() ?? 0;
  const wbytes0 = api.stats.watchBytesRead() ?? 0;
  const watches0 = api.stats.watches;
  heapPeak = 0;
  rssPeak = 0;
  sampleMemory();
  const receivedAt = new Date();
  let rep: Report | undefined;
  let error: string | undefined;
  try {
    rep = await run(receivedAt);
  } catch (e) {
    error = (e as Error).message;
    rep = (e as { report?: Report }).report;
  }
  sampleMemory();
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  const counts = new Map(api.stats.counts);
  const s: Sample = {
    id,
    ok: !error && !!rep && !rep.retry,
    durationMs: Date.now() - receivedAt.getTime(),
    counts: rep?.counts ?? { secretsPatched: 0, podsNudged: 0, workloadsRestarted: 0, skipped: 0, failed: 0, planned: 0 },
    skipsByReason: rep?.skipsByReason ?? {},
    vaultReads: rep?.vaultReads ?? 0,
    proofReads: rep?.proofReads ?? 0,
    requests: diff(counts, fresh ? new Map() : before),
    watches: api.stats.watches - (fresh ? 0 : watches0),
    heapPeak,
    rssPeak,
  };
  if (error) s.error = error;
  if (rep) {
    const sm = maxAt(rep, "patchSecret");
    const pm = maxAt(rep, "nudgePod");
    const rm = maxAt(rep, "restartWorkload");
    if (sm !== undefined) s.secretsMs = sm;
    if (pm !== undefined) s.podsMs = pm;
    if (rm !== undefined) s.rolloutsMs = rm;
    if (rep.drift) s.drift = rep.drift;
  }
  const b = api.stats.bytesRead();
  if (b !== undefined) s.bytesRead = b - (fresh ? 0 : bytes0);
  const wb = api.stats.watchBytesRead();
  if (wb !== undefined) s.watchBytes = wb - (fresh ? 0 : wbytes0);
  // The Events recorded in the background after the invocation returned: waited for here, so the next sample starts
  // on a quiet API server (rotations are minutes apart), and reported apart from the latencies.
  if (rt.events) {
    const sent0 = rt.events.sent;
    const t = Date.now();
    await rt.events.drain();
    s.eventsDrainedMs = Date.now() - t;
    s.eventsSent = rt.events.sent - sent0;
  }
  return s;
}

/** The floor on the same API server and Key Vault, through the same clients as the pusher. */
async function floor(rt: Runtime, m: Extract<PusherRequest, { type: "floor" }>): Promise<FloorSample> {
  const api = rt.clusters[0]!;
  const vault = [...rt.config.vaults.values()][0]!;
  const limit = pLimit(rt.config.concurrency);
  const stage = <T>(items: T[], f: (x: T) => Promise<unknown>) => Promise.all(items.map((x) => limit(() => f(x))));
  const t0 = Date.now();
  const mark = String(t0);
  await new VaultReader(rt.vaults).read(vault, "secret", m.object);
  await stage(m.secrets, async ([ns, name]) => {
    const s = await api.getSecret(ns, name);
    // A real write of the same size class as the pusher's (an extra key the workload model never reads).
    await api.patchSecretData(ns, name, { "bench-floor": Buffer.from(mark).toString("base64") }, s?.resourceVersion);
  });
  const ms = Date.now() - t0;
  await stage(m.pods, ([ns, name]) => api.patchPodAnnotations(ns, name, { "bench.kvrp/floor": mark }));
  const podsMs = Date.now() - t0;
  await stage(m.deployments, ([ns, name]) => api.patchWorkloadTemplateAnnotations("Deployment", ns, name, { "bench.kvrp/floor": mark }));
  const rolloutsMs = Date.now() - t0;
  // The cold instance's extra step, timed apart (its own load must not inflate the stages above).
  const l0 = Date.now();
  await api.listSpcsVersioned(undefined, 0);
  return { id: m.id, ms, secrets: m.secrets.length, podsMs, rolloutsMs, spcListMs: Date.now() - l0 };
}

const noLog: LogSink = () => {};

process.on("message", (msg: PusherRequest) => {
  void (async () => {
    switch (msg.type) {
      case "init":
        config = { ...msg.config, vaults: new Map(msg.config.vaults) };
        caPem = msg.vaultCaPem;
        send({ type: "ready" });
        return;
      case "event": {
        let rt: Runtime;
        if (msg.cold) rt = localRuntime(config!, caPem);
        else rt = warm ??= localRuntime(config!, caPem);
        const sample = await measure(msg.id, rt, msg.cold, async (receivedAt) => {
          const out = await handleDelivery(rt, msg.body, { invocationId: `bench-${msg.id}`, log: noLog, receivedAt });
          return out.report;
        });
        if (msg.cold) closeRuntime(rt);
        send({ type: "sample", sample });
        return;
      }
      case "reconcile": {
        const rt = (warm ??= localRuntime(config!, caPem));
        send({
          type: "sample",
          sample: await measure(msg.id, rt, false, () => reconcile(rt, { invocationId: `bench-reconcile-${msg.id}` })),
        });
        return;
      }
      case "floor": {
        const rt = (warm ??= localRuntime(config!, caPem));
        send({ type: "floor", sample: await floor(rt, msg) });
        return;
      }
      case "resetPeaks":
        heapPeak = 0;
        rssPeak = 0;
        return;
      case "gc":
        // Between phases: the cold phase's discarded runtimes are not the warm instance's garbage.
        (globalThis as { gc?: () => void }).gc?.();
        send({ type: "ready" });
        return;
      case "exit": {
        // What the warm instance keeps (every cache filled), after a full GC: its steady footprint.
        (globalThis as { gc?: () => void }).gc?.();
        const retainedHeap = process.memoryUsage().heapUsed;
        if (warm) closeRuntime(warm);
        send({ type: "peaks", heapPeak, rssPeak, maxRss: process.resourceUsage().maxRSS * 1024, retainedHeap });
        setTimeout(() => process.exit(0), 50);
        return;
      }
    }
  })().catch((e: unknown) => {
    process.stderr.write(`bench pusher: ${(e as Error).stack}\n`);
    process.exit(1);
  });
});
