// The benchmark's report: one markdown document (tables, the floor and its multiples, targets). Plain text.
import { V16 } from "./baseline.js";
import {
  TIMER_RUNS,
  driverReadsPerHour,
  floorMultiple,
  floorOf,
  floorSummary,
  spcListsOf,
  type FloorStage,
  headlines,
  lat,
  mean,
  ourReadsPerHour,
  pct,
  reqCritical,
  reqTotal,
  sel,
  type EventClass,
  type Headline,
  type RunInfo,
  type ScaleResult,
} from "./figures.js";
import type { Sample } from "./pusher.js";
import { PODS_PER_SPC } from "./workload.js";

export type { EventClass, Mode, RunInfo, ScaleResult } from "./figures.js";

export const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
export const n1 = (x: number) =>
  Number.isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 }) : "–";
export const ms = (x: number) => (Number.isFinite(x) ? (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)}`) : "–");
/** `ms` with its unit: "336 ms", "23.7 s". */
export const msUnit = (x: number) => (Number.isFinite(x) && x < 10_000 ? `${ms(x)} ms` : ms(x));
export const mib = (b: number) => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)} MiB` : "–");
const kib = (b: number) => (Number.isFinite(b) ? (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 1024).toFixed(0)} KiB`) : "–");
export const times = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(1)}×` : "–");
const trio = (xs: number[]) => (xs.length ? `${ms(pct(xs, 50))} / ${ms(pct(xs, 95))} / ${ms(pct(xs, 99))}` : "–");

/** p50 / p95 / p99, and the p99's multiple of the floor of its event class up to the same stage. */
function trioX(r: ScaleResult, xs: number[], cls: EventClass | undefined, stage: FloorStage): string {
  if (!xs.length) return "–";
  const c = cls ?? "fan-out";
  return floorOf(r, c, stage).length ? `${trio(xs)} (${times(floorMultiple(r, pct(xs, 99), c, stage))})` : trio(xs);
}

function meanRequests(samples: Sample[]): Record<string, number> {
  const keys = new Set(samples.flatMap((s) => Object.keys(s.requests)));
  const out: Record<string, number> = {};
  for (const k of [...keys].sort()) out[k] = mean(samples.map((s) => s.requests[k] ?? 0));
  return out;
}

function fmtReq(r: Record<string, number>): string {
  return Object.entries(r)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v >= 10 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, "")}`)
    .join(", ");
}

export function headlineValue(h: Headline): string {
  if (!Number.isFinite(h.value)) return "–";
  return h.unit === "ms"
    ? h.value >= 10_000
      ? `${(h.value / 1000).toFixed(1)} s`
      : `${Math.round(h.value)} ms`
    : h.unit === "MiB"
      ? `${Math.round(h.value)} MiB`
      : n1(h.value);
}

interface Target {
  name: string;
  measured: string;
  met: boolean;
}

export function targets(results: ScaleResult[], v16: typeof V16 = V16): Target[] {
  const big = results.find((r) => r.scale === 10_000) ?? results[results.length - 1]!;
  const at = big.scale === 10_000 ? "10,000 SPCs" : `${big.scale.toLocaleString("en-US")} SPCs (10,000 not run)`;
  const all = results.flatMap((r) => r.samples);
  const latestOnce = all.filter((s) => s.sample.vaultReads - (s.sample.proofReads ?? 0) === 1).length;
  // API requests per event vs cluster size: warm single-object events must cost the same at every scale, and warm
  // events must never list SPCs; cold events list SPCs once (one unpaginated list).
  const singleWarm = results.map((r) => mean(sel(r, "warm", "single").map((s) => reqCritical(s.sample))));
  const perAffected = results.map((r) => mean(sel(r, "warm", "fan-out").map((s) => reqCritical(s.sample) / Math.max(1, s.affectedSpcs))));
  const warmLists = results.flatMap((r) => sel(r, "warm")).reduce((a, s) => a + (s.sample.requests["list secretproviderclasses"] ?? 0), 0);
  const coldListOk = results.every((r) => sel(r, "cold").every((s) => (s.sample.requests["list secretproviderclasses"] ?? 0) <= 1));
  const flat = Math.max(...singleWarm) <= 1.25 * Math.min(...singleWarm) && Math.max(...perAffected) <= 1.5 * Math.min(...perAffected);
  const timerExact = results.every((r) => r.reconciles.every((x) => x.kvReads === r.model.distinctObjects));
  const k = results.find((r) => r.scale === 1000);
  const ratio = k ? driverReadsPerHour(k, v16) / ourReadsPerHour(k) : NaN;
  return [
    ...headlines(big).map((h) => ({
      name: `${h.name} ${h.targetLabel} (${at})`,
      measured: `${headlineValue(h)}${h.floorX !== undefined ? ` (${times(h.floorX)} the floor of ${msUnit(h.floorP99!)})` : ""}`,
      met: h.met,
    })),
    {
      name: "Key Vault: exactly 1 read of the latest version per object per event, whatever the fan-out (proof reads apart)",
      measured: `${latestOnce}/${all.length} events; proof reads per event warm ${n1(mean(results.flatMap((r) => sel(r, "warm")).map((s) => s.sample.proofReads ?? 0)))}, cold ${n1(mean(results.flatMap((r) => sel(r, "cold")).map((s) => s.sample.proofReads ?? 0)))}`,
      met: latestOnce === all.length,
    },
    {
      name: "API requests per event grow with affected objects, not cluster size (≤ one SPC list when cold)",
      measured: `warm single-object event: ${singleWarm.map((x) => n1(x)).join(" / ")} requests; warm fan-out: ${perAffected.map((x) => n1(x)).join(" / ")} per affected SPC; SPC lists in warm events: ${warmLists}; cold ≤ one list: ${coldListOk ? "yes" : "no"}`,
      met: flat && warmLists === 0 && coldListOk,
    },
    {
      name: "Timer: Key Vault reads per run = distinct referenced objects",
      measured: results.map((r) => `${r.reconciles.map((x) => x.kvReads).join(",")} of ${r.model.distinctObjects}`).join("; "),
      met: timerExact,
    },
    {
      name: "Timer + events: ≥ 100× fewer Key Vault reads per hour than the driver's polling (1,000 SPCs)",
      measured: k ? `${n0(ratio)}×` : "1,000 not run",
      met: ratio >= 100,
    },
  ];
}

export function renderMarkdown(results: ScaleResult[], info: RunInfo): string {
  const L: string[] = [];
  const m = info.machine;
  L.push(`# kv-rotation-pusher benchmark`);
  L.push("");
  L.push(
    `${info.date.toISOString().slice(0, 10)} · ${m.cpus} cores (${m.cpuModel}), ${m.memGiB} GiB · Node ${m.node} · kube-apiserver v1.36.3 + etcd 3.6.16 and the Key Vault emulator on loopback, all on the same cores · whole run ${n1(info.totalSeconds / 60)} min · load average at the end ${m.load.map((x) => x.toFixed(1)).join(" ")}`,
  );
  L.push("");
  L.push(
    `Events are Key Vault \`SecretNewVersionCreated\` Event Grid deliveries handed to \`handleDelivery\` (the function's code path) in a separate pusher process with the restricted RBAC token; ${info.eventsPerMode} per mode and scale, alternating single-SPC and fan-out objects. *Cold* = a fresh runtime per event (no connections, tokens, SPC index or discovery cached); *warm* = one runtime across events. Latencies are from receipt to the last Secret patch / pod nudge / rollout patch completing (ms, p50 / p95 / p99), each p99 followed by its multiple of the floor (below) of the same event class.`,
  );
  L.push("");
  L.push(`## Workload`);
  L.push("");
  L.push(
    `| SPCs | namespaces | pods (= SPCPS) | synced Secrets (4 keys) | Deployments (env + CSI) | StatefulSets (volumes) | objects referenced (vault: 300) | SPCs per fan-out object | seeding |`,
  );
  L.push(`|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const r of results)
    L.push(
      `| ${n0(r.scale)} | ${n0(r.model.namespaces)} | ${n0(r.model.pods)} | ${n0(r.model.secrets)} | ${n0(r.model.deployments)} | ${n0(r.model.statefulSets)} | ${n0(r.model.distinctObjects)} | ${n1(r.fanDegree)} | ${n0(r.seed.objects)} objects in ${n1(r.seed.seconds)} s (${n0(r.seed.perSecond)}/s) |`,
    );
  L.push("");
  L.push(`## The floor (same API server, same Key Vault, same clients; measured right after each warm event, for its object)`);
  L.push("");
  L.push(
    `The unavoidable work of an event, stage by stage in the order the pusher must keep (a pod is nudged only after its Secret landed, a rollout only after the nudges), each stage at the pusher's concurrency (${"`KVRP_CONCURRENCY`"}) through the pusher's own clients: one Key Vault read of the latest version, then every affected synced Secret's GET + PATCH (a real write), then every affected pod's PATCH, then every env-consuming Deployment's template PATCH (times cumulative). A cold instance must first list every SPC once (unpaginated, from the API server's watch cache): the only way to learn which SPCs reference the object, since the reference sits in a YAML string no selector reaches; the cold floor is that list + the Secrets stage. Every latency below is also given as a multiple of the floor's p99 of its event class up to the same stage (cold rows: the cold floor).`,
  );
  L.push("");
  L.push(
    `| SPCs | event class | samples | Secrets · pods · Deployments | Secrets p50 / p99 | + pods p99 | + rollouts p99 | SPC list p50 / p99 | cold floor p99 |`,
  );
  L.push(`|---:|---|---:|---|---:|---:|---:|---:|---:|`);
  for (const r of results) {
    const f = floorSummary(r);
    for (const cls of ["single", "fan-out"] as const) {
      const fs = (r.floors ?? []).filter((x) => x.cls === cls).map((x) => x.sample.secrets);
      const secrets = mean(fs);
      L.push(
        `| ${n0(r.scale)} | ${cls} | ${f[cls].secrets.n} | ${n1(secrets)} · ${n1(secrets * PODS_PER_SPC)} · ${n1(secrets)} | ${ms(f[cls].secrets.p50)} / ${ms(f[cls].secrets.p99)} | ${ms(f[cls].pods.p99)} | ${ms(f[cls].rollouts.p99)} | ${ms(pct(spcListsOf(r, cls), 50))} / ${ms(pct(spcListsOf(r, cls), 99))} | ${ms(f[cls].cold.p99)} |`,
      );
    }
  }
  L.push("");
  L.push(`## Latency from event receipt (ms: p50 / p95 / p99 (p99 × floor))`);
  L.push("");
  L.push(
    `| SPCs | instance | events | affected SPCs (mean) | all synced Secrets patched | all pods nudged | all rollouts triggered | whole invocation |`,
  );
  L.push(`|---:|---|---:|---:|---|---|---|---|`);
  for (const r of results)
    for (const mode of ["warm", "cold"] as const)
      for (const cls of [undefined, "single", "fan-out"] as const) {
        const ss = sel(r, mode, cls);
        const pick = (f: (s: Sample) => number | undefined) => lat(r, f, mode, cls);
        L.push(
          `| ${n0(r.scale)} | ${mode}${cls ? ` · ${cls}` : " · all"} | ${ss.length} | ${n1(mean(ss.map((s) => s.affectedSpcs)))} | ${trioX(
            r,
            pick((s) => s.secretsMs),
            cls,
            mode === "cold" ? "cold" : "secrets",
          )} | ${trioX(
            r,
            pick((s) => s.podsMs),
            cls,
            "pods",
          )} | ${trioX(
            r,
            pick((s) => s.rolloutsMs),
            cls,
            "rollouts",
          )} | ${trioX(
            r,
            pick((s) => s.durationMs),
            cls,
            "rollouts",
          )} |`,
        );
      }
  L.push("");
  L.push(`## Cost per event (mean)`);
  L.push("");
  L.push(
    `Requests counted at the client by verb and resource while the invocation runs (the critical path). Kubernetes Events are recorded in the background after it returned (one per object and reason) and counted apart. Bytes = wire bytes read on the request sockets (TLS records, headers, gzip as served). The watches (SPCs, SPCPS, workloads, the CSIDriver) are long-lived connections, not per-event requests: their bytes are listed apart.`,
  );
  L.push("");
  L.push(
    `| SPCs | instance · objects | Secrets / pods / rollouts changed | API requests (critical path) | … per affected SPC | by verb and resource | Events (background) | bytes read | Key Vault reads (of which proofs) | watches |`,
  );
  L.push(`|---:|---|---|---:|---:|---|---:|---:|---|---|`);
  for (const r of results)
    for (const mode of ["warm", "cold"] as const)
      for (const cls of ["single", "fan-out"] as const) {
        const ss = sel(r, mode, cls);
        const kv = ss.map((s) => s.kvReads);
        L.push(
          `| ${n0(r.scale)} | ${mode} · ${cls} | ${n1(mean(ss.map((s) => s.sample.counts.secretsPatched)))} / ${n1(mean(ss.map((s) => s.sample.counts.podsNudged)))} / ${n1(mean(ss.map((s) => s.sample.counts.workloadsRestarted)))} | ${n1(mean(ss.map((s) => reqCritical(s.sample))))} | ${n1(mean(ss.map((s) => reqCritical(s.sample) / Math.max(1, s.affectedSpcs))))} | ${fmtReq(meanRequests(ss.map((s) => ({ ...s.sample, requests: { ...s.sample.requests, "create events": 0 } }))))} | ${n1(mean(ss.map((s) => s.sample.eventsSent ?? s.sample.requests["create events"] ?? 0)))} | ${kib(mean(ss.map((s) => s.sample.bytesRead ?? NaN)))} | ${Math.min(...kv)}–${Math.max(...kv)} (${n1(mean(ss.map((s) => s.sample.proofReads ?? 0)))}) | ${mode === "cold" ? `${n1(mean(ss.map((s) => s.sample.watches)))} opened, ${kib(mean(ss.map((s) => s.sample.watchBytes ?? 0)))}` : `${kib(mean(ss.map((s) => s.sample.watchBytes ?? 0)))} streamed`} |`,
        );
      }
  L.push("");
  L.push(`## Timer reconcile (steady state: cluster up to date; the first run is the instance's cold one)`);
  L.push("");
  L.push(
    `| SPCs | runs | duration | Key Vault reads per run | distinct referenced objects | API requests per run | by verb and resource | bytes read | drift found |`,
  );
  L.push(`|---:|---:|---|---|---:|---:|---|---:|---|`);
  for (const r of results) {
    const rs = r.reconciles;
    L.push(
      `| ${n0(r.scale)} | ${rs.length} | ${rs.map((x) => `${n1(x.sample.durationMs / 1000)} s`).join(", ")} | ${rs.map((x) => x.kvReads).join(", ")} | ${n0(r.model.distinctObjects)} | ${n0(mean(rs.map((x) => reqTotal(x.sample))))} | ${fmtReq(meanRequests(rs.map((x) => x.sample)))} | ${kib(mean(rs.map((x) => x.sample.bytesRead ?? NaN)))} | ${rs.map((x) => `${x.sample.drift?.driftFound ?? 0}/${x.sample.drift?.objectsChecked ?? 0}`).join(", ")} |`,
    );
  }
  L.push("");
  L.push(`## Memory of the pusher process`);
  L.push("");
  L.push(
    `| SPCs | peak RSS (process lifetime) | peak heap, warm events | peak heap, cold events | peak heap, reconcile | heap kept by the warm instance (after GC, every cache filled) |`,
  );
  L.push(`|---:|---:|---:|---:|---:|---:|`);
  for (const r of results)
    L.push(
      `| ${n0(r.scale)} | ${mib(r.peaks.maxRss)} | ${mib(Math.max(...sel(r, "warm").map((s) => s.sample.heapPeak)))} | ${mib(Math.max(...sel(r, "cold").map((s) => s.sample.heapPeak)))} | ${mib(Math.max(...r.reconciles.map((x) => x.sample.heapPeak)))} | ${mib(r.peaks.retainedHeap ?? NaN)} |`,
    );
  L.push("");
  L.push(`## Against the CSI driver's polling (same cluster, same events)`);
  L.push("");
  const v = info.v16;
  L.push(
    `Driver model (v1.6+, rotation on): kubelet republishes each mount every 60–90 s; the driver re-reads Key Vault on a republish only once \`--rotation-poll-interval\` (2 min) has passed, i.e. every 120–180 s (mean ${v.meanPeriodS} s, ${n1(v.readsPerMountPerHour)} reads per mounted object per hour). A mount is stale for the residual of that period: **mean ${n1(v.meanStalenessS)} s, worst ${v.worstStalenessS} s**. For our events the driver's "all Secrets" time is the slowest affected SPC's *first* pod to re-read (the driver rebuilds the synced Secret from a mount), "all pods" the slowest pod (Monte Carlo over the same affected pods, seeded). Env consumers never see the value without a restart; Reloader restarts them once its watch sees the synced Secret change: driver + the watch delivery measured here. Older drivers polling every 2 min: mean ${info.polling.meanStalenessS} s, worst ${info.polling.worstStalenessS} s.`,
  );
  L.push("");
  L.push(
    `| SPCs | driver: all Secrets p50 / p99 | driver: all pods p50 / p99 | Reloader: env consumers restarted, mean / worst (driver + watch) | ours warm: Secrets p99 / pods p99 | our p99 vs driver mean / worst staleness |`,
  );
  L.push(`|---:|---|---|---|---|---|`);
  for (const r of results) {
    const dS = r.driver.filter((d) => d.mode === "warm").map((d) => d.secretsS * 1000);
    const dP = r.driver.filter((d) => d.mode === "warm").map((d) => d.podsS * 1000);
    const oS = pct(
      sel(r, "warm")
        .map((s) => s.sample.secretsMs ?? NaN)
        .filter(Number.isFinite),
      99,
    );
    const oP = pct(
      sel(r, "warm")
        .map((s) => s.sample.podsMs ?? NaN)
        .filter(Number.isFinite),
      99,
    );
    L.push(
      `| ${n0(r.scale)} | ${n1(pct(dS, 50) / 1000)} s / ${n1(pct(dS, 99) / 1000)} s | ${n1(pct(dP, 50) / 1000)} s / ${n1(pct(dP, 99) / 1000)} s | ${n1((mean(dS) + r.watchMs) / 1000)} s / ${n1((v.worstStalenessS * 1000 + r.watchMs) / 1000)} s (watch ${n0(r.watchMs)} ms) | ${ms(oS)} ms / ${ms(oP)} ms | ${n0((v.meanStalenessS * 1000) / oS)}× / ${n0((v.worstStalenessS * 1000) / oS)}× faster |`,
    );
  }
  L.push("");
  L.push(
    `Key Vault reads per hour: the driver reads every mounted object of every pod each period; we read once per object per event and once per distinct referenced object per timer run (default schedule every 5 min = ${TIMER_RUNS} runs/hour; events assume every referenced object is rotated once a day).`,
  );
  L.push("");
  L.push(
    `| SPCs | mounted objects (pods × objects) | driver reads/hour (v1.6 model) | driver reads/hour (2-min poll) | ours: timer + events per hour | ratio (v1.6 model) |`,
  );
  L.push(`|---:|---:|---:|---:|---:|---:|`);
  for (const r of results)
    L.push(
      `| ${n0(r.scale)} | ${n0(r.model.mountedObjects)} | ${n0(driverReadsPerHour(r, v))} | ${n0(r.model.mountedObjects * info.polling.readsPerMountPerHour)} | ${n0(ourReadsPerHour(r))} | ${n0(driverReadsPerHour(r, v) / ourReadsPerHour(r))}× |`,
    );
  L.push("");
  L.push(`## Targets`);
  L.push("");
  L.push(`| target | measured | |`);
  L.push(`|---|---|---|`);
  for (const t of targets(results, v)) L.push(`| ${t.name} | ${t.measured} | ${t.met ? "**met**" : "**not met**"} |`);
  L.push("");
  L.push(`Per scale wall time: ${results.map((r) => `${n0(r.scale)} SPCs ${n1(r.seconds)} s`).join(", ")}.`);
  L.push("");
  return L.join("\n");
}
