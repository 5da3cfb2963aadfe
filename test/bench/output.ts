// The benchmark's output: one markdown report (tables + targets) and an SVG chart, both plain text.
import type { POLLING, V16 } from "./baseline.js";
import type { Sample } from "./pusher.js";
import type { SeedResult } from "./seed.js";
import type { ClusterModel } from "./workload.js";

export type Mode = "cold" | "warm";
export type EventClass = "single" | "fan-out";

export interface ScaleResult {
  scale: number;
  model: ClusterModel["totals"];
  fanDegree: number;
  seed: SeedResult;
  watchMs: number;
  samples: { mode: Mode; cls: EventClass; sample: Sample; kvReads: number; affectedSpcs: number }[];
  reconciles: { sample: Sample; kvReads: number }[];
  peaks: { heapPeak: number; rssPeak: number; maxRss: number };
  driver: { mode: Mode; cls: EventClass; secretsS: number; podsS: number }[];
  seconds: number;
}

export interface RunInfo {
  machine: { cpus: number; cpuModel: string; memGiB: number; node: string; load: number[] };
  totalSeconds: number;
  date: Date;
  v16: typeof V16;
  polling: typeof POLLING;
  eventsPerMode: number;
}

const TIMER_RUNS_PER_HOUR = 12; // default schedule 0 */5 * * * *
const ROTATIONS_PER_OBJECT_PER_DAY = 1;

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const n1 = (x: number) => (Number.isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 }) : "–");
const ms = (x: number) => (Number.isFinite(x) ? (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)}`) : "–");
const mib = (b: number) => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)} MiB` : "–");
const kib = (b: number) => (Number.isFinite(b) ? (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 1024).toFixed(0)} KiB`) : "–");
const trio = (xs: number[]) => (xs.length ? `${ms(pct(xs, 50))} / ${ms(pct(xs, 95))} / ${ms(pct(xs, 99))}` : "–");

function sel(r: ScaleResult, mode?: Mode, cls?: EventClass) {
  return r.samples.filter((s) => (!mode || s.mode === mode) && (!cls || s.cls === cls));
}

function reqTotal(s: Sample): number {
  return Object.values(s.requests).reduce((a, b) => a + b, 0);
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

/** Our Key Vault reads per hour: the timer (reads per run × runs) + events (every referenced object rotated daily). */
export function ourReadsPerHour(r: ScaleResult): number {
  const perRun = mean(r.reconciles.map((x) => x.kvReads));
  return TIMER_RUNS_PER_HOUR * perRun + (r.model.distinctObjects * ROTATIONS_PER_OBJECT_PER_DAY) / 24;
}

export function driverReadsPerHour(r: ScaleResult, v16: typeof V16): number {
  return r.model.mountedObjects * v16.readsPerMountPerHour;
}

interface Target {
  name: string;
  measured: string;
  met: boolean;
}

export function targets(results: ScaleResult[], v16: typeof V16): Target[] {
  const big = results.find((r) => r.scale === 10_000) ?? results[results.length - 1]!;
  const at = big.scale === 10_000 ? "10,000 SPCs" : `${big.scale.toLocaleString("en-US")} SPCs (10,000 not run)`;
  const warmS = sel(big, "warm")
    .map((s) => s.sample.secretsMs ?? NaN)
    .filter(Number.isFinite);
  const coldS = sel(big, "cold")
    .map((s) => s.sample.secretsMs ?? NaN)
    .filter(Number.isFinite);
  const all = results.flatMap((r) => r.samples);
  const kvExact = all.filter((s) => s.kvReads === 1 && s.sample.vaultReads === 1).length;
  // API requests per event vs cluster size: warm single-object events must cost the same at every scale, and warm
  // events must never list SPCs; cold events list SPCs at most once (⌈N / 500⌉ pages).
  const singleWarm = results.map((r) => mean(sel(r, "warm", "single").map((s) => reqTotal(s.sample))));
  const perAffected = results.map((r) => mean(sel(r, "warm", "fan-out").map((s) => reqTotal(s.sample) / Math.max(1, s.affectedSpcs))));
  const warmLists = results.flatMap((r) => sel(r, "warm")).reduce((a, s) => a + (s.sample.requests["list secretproviderclasses"] ?? 0), 0);
  const coldListOk = results.every((r) =>
    sel(r, "cold").every((s) => (s.sample.requests["list secretproviderclasses"] ?? 0) <= Math.ceil(r.scale / 500)),
  );
  const flat = Math.max(...singleWarm) <= 1.25 * Math.min(...singleWarm) && Math.max(...perAffected) <= 1.5 * Math.min(...perAffected);
  const timerExact = results.every((r) => r.reconciles.every((x) => x.kvReads === r.model.distinctObjects));
  const k = results.find((r) => r.scale === 1000);
  const ratio = k ? driverReadsPerHour(k, v16) / ourReadsPerHour(k) : NaN;
  return [
    {
      name: `Event → all synced Secrets patched, p99 warm ≤ 1 s (${at})`,
      measured: `${ms(pct(warmS, 99))} ms`,
      met: pct(warmS, 99) <= 1000,
    },
    {
      name: `Event → all synced Secrets patched, p99 cold ≤ 3 s (${at})`,
      measured: `${ms(pct(coldS, 99))} ms`,
      met: pct(coldS, 99) <= 3000,
    },
    {
      name: "Key Vault reads: exactly 1 per object per event, whatever the fan-out",
      measured: `${kvExact}/${all.length} events read exactly once`,
      met: kvExact === all.length,
    },
    {
      name: "API requests per event grow with affected objects, not cluster size (≤ one paged SPC list when cold)",
      measured: `warm single-object event: ${singleWarm.map((x) => n1(x)).join(" / ")} requests; warm fan-out: ${perAffected.map((x) => n1(x)).join(" / ")} per affected SPC; SPC lists in warm events: ${warmLists}; cold ≤ one paged list: ${coldListOk ? "yes" : "no"}`,
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
    `Events are Key Vault \`SecretNewVersionCreated\` Event Grid deliveries handed to \`handleDelivery\` (the function's code path) in a separate pusher process with the restricted RBAC token; ${info.eventsPerMode} per mode and scale, alternating single-SPC and fan-out objects. *Cold* = a fresh runtime per event (no connections, tokens, SPC index or discovery cached); *warm* = one runtime across events. Latencies are from receipt to the last Secret patch / pod nudge / rollout patch completing (ms, p50 / p95 / p99).`,
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
  L.push(`## Latency from event receipt (ms: p50 / p95 / p99)`);
  L.push("");
  L.push(
    `| SPCs | instance | events | affected SPCs (mean) | all synced Secrets patched | all pods nudged | all rollouts triggered | whole invocation |`,
  );
  L.push(`|---:|---|---:|---:|---|---|---|---|`);
  for (const r of results)
    for (const mode of ["warm", "cold"] as const)
      for (const cls of [undefined, "single", "fan-out"] as const) {
        const ss = sel(r, mode, cls);
        const pick = (f: (s: Sample) => number | undefined) => ss.map((s) => f(s.sample) ?? NaN).filter(Number.isFinite);
        L.push(
          `| ${n0(r.scale)} | ${mode}${cls ? ` · ${cls}` : " · all"} | ${ss.length} | ${n1(mean(ss.map((s) => s.affectedSpcs)))} | ${trio(pick((s) => s.secretsMs))} | ${trio(pick((s) => s.podsMs))} | ${trio(pick((s) => s.rolloutsMs))} | ${trio(pick((s) => s.durationMs))} |`,
        );
      }
  L.push("");
  L.push(`## Cost per event (mean)`);
  L.push("");
  L.push(
    `Requests counted at the client by verb and resource (\`create events\` = the Kubernetes Events recorded on touched objects). Bytes = wire bytes read on the request sockets (TLS records, headers, gzip as served). The SPC watch is one long-lived connection, not a per-event request: its bytes are listed apart.`,
  );
  L.push("");
  L.push(
    `| SPCs | instance · objects | Secrets / pods / rollouts changed | API requests | … per affected SPC | by verb and resource | bytes read | Key Vault reads | watch |`,
  );
  L.push(`|---:|---|---|---:|---:|---|---:|---|---|`);
  for (const r of results)
    for (const mode of ["warm", "cold"] as const)
      for (const cls of ["single", "fan-out"] as const) {
        const ss = sel(r, mode, cls);
        const kv = ss.map((s) => s.kvReads);
        L.push(
          `| ${n0(r.scale)} | ${mode} · ${cls} | ${n1(mean(ss.map((s) => s.sample.counts.secretsPatched)))} / ${n1(mean(ss.map((s) => s.sample.counts.podsNudged)))} / ${n1(mean(ss.map((s) => s.sample.counts.workloadsRestarted)))} | ${n1(mean(ss.map((s) => reqTotal(s.sample))))} | ${n1(mean(ss.map((s) => reqTotal(s.sample) / Math.max(1, s.affectedSpcs))))} | ${fmtReq(meanRequests(ss.map((s) => s.sample)))} | ${kib(mean(ss.map((s) => s.sample.bytesRead ?? NaN)))} | ${Math.min(...kv)}–${Math.max(...kv)} | ${mode === "cold" ? `${n1(mean(ss.map((s) => s.sample.watches)))} opened, ${kib(mean(ss.map((s) => s.sample.watchBytes ?? 0)))}` : `${kib(mean(ss.map((s) => s.sample.watchBytes ?? 0)))} streamed`} |`,
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
  L.push(`| SPCs | peak RSS (process lifetime) | peak heap, warm events | peak heap, cold events | peak heap, reconcile |`);
  L.push(`|---:|---:|---:|---:|---:|`);
  for (const r of results)
    L.push(
      `| ${n0(r.scale)} | ${mib(r.peaks.maxRss)} | ${mib(Math.max(...sel(r, "warm").map((s) => s.sample.heapPeak)))} | ${mib(Math.max(...sel(r, "cold").map((s) => s.sample.heapPeak)))} | ${mib(Math.max(...r.reconciles.map((x) => x.sample.heapPeak)))} |`,
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
    `Key Vault reads per hour: the driver reads every mounted object of every pod each period; we read once per object per event and once per distinct referenced object per timer run (default schedule every 5 min = ${TIMER_RUNS_PER_HOUR} runs/hour; events assume every referenced object is rotated once a day).`,
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

/** Grouped bars on a log axis: our Secrets p50/p99 (warm), p99 (cold) and the driver's mean/worst staleness. */
export function renderSvg(results: ScaleResult[], v16: typeof V16, subtitle = ""): string {
  const W = 820;
  const H = 440;
  const left = 70;
  const right = 20;
  const top = 50;
  const bottom = 90;
  const lo = Math.log10(5);
  const hi = Math.log10(400_000);
  const y = (msv: number) => top + (H - top - bottom) * (1 - (Math.log10(Math.max(5, msv)) - lo) / (hi - lo));
  const series = [
    {
      label: "pusher warm p50",
      color: "#7fb3e6",
      get: (r: ScaleResult) =>
        pct(
          sel(r, "warm")
            .map((s) => s.sample.secretsMs ?? NaN)
            .filter(Number.isFinite),
          50,
        ),
    },
    {
      label: "pusher warm p99",
      color: "#2f78c4",
      get: (r: ScaleResult) =>
        pct(
          sel(r, "warm")
            .map((s) => s.sample.secretsMs ?? NaN)
            .filter(Number.isFinite),
          99,
        ),
    },
    {
      label: "pusher cold p99",
      color: "#18416e",
      get: (r: ScaleResult) =>
        pct(
          sel(r, "cold")
            .map((s) => s.sample.secretsMs ?? NaN)
            .filter(Number.isFinite),
          99,
        ),
    },
    { label: "CSI driver mean staleness", color: "#f0a35e", get: () => v16.meanStalenessS * 1000 },
    { label: "CSI driver worst", color: "#c8501e", get: () => v16.worstStalenessS * 1000 },
  ];
  const groupW = (W - left - right) / Math.max(1, results.length);
  const barW = Math.min(34, (groupW - 30) / series.length);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">Key Vault rotation → all synced Secrets updated (log scale)</text>`,
  );
  if (subtitle)
    out.push(
      `<text x="${W / 2}" y="40" text-anchor="middle" font-size="11" fill="#555">${subtitle.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</text>`,
    );
  for (const t of [10, 100, 1000, 10_000, 100_000]) {
    const yy = y(t).toFixed(1);
    out.push(`<line x1="${left}" y1="${yy}" x2="${W - right}" y2="${yy}" stroke="#dddddd"/>`);
    out.push(
      `<text x="${left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#555">${t >= 1000 ? `${t / 1000} s` : `${t} ms`}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" y1="${y(1000).toFixed(1)}" x2="${W - right}" y2="${y(1000).toFixed(1)}" stroke="#2f78c4" stroke-dasharray="4 3"/>`,
  );
  out.push(
    `<text x="${left + 4}" y="${(y(1000) - 4).toFixed(1)}" text-anchor="start" fill="#2f78c4" font-size="11">target warm p99 ≤ 1 s</text>`,
  );
  results.forEach((r, gi) => {
    const gx = left + gi * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.get(r);
      if (!Number.isFinite(v)) return;
      const x = gx + si * barW;
      const yy = y(v);
      out.push(
        `<rect x="${x.toFixed(1)}" y="${yy.toFixed(1)}" width="${(barW - 3).toFixed(1)}" height="${(H - bottom - yy).toFixed(1)}" fill="${s.color}"><title>${s.label}: ${v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`}</title></rect>`,
      );
      const text = v >= 10_000 ? `${Math.round(v / 1000)} s` : v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
      out.push(
        `<text x="${(x + (barW - 3) / 2).toFixed(1)}" y="${(yy - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${text}</text>`,
      );
    });
    out.push(
      `<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${H - bottom + 18}" text-anchor="middle" font-weight="bold">${r.scale.toLocaleString("en-US")} SPCs</text>`,
    );
  });
  out.push(`<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="#333"/>`);
  const lx0 = left;
  series.forEach((s, i) => {
    const lx = lx0 + (i % 3) * 240;
    const ly = H - 44 + Math.floor(i / 3) * 18;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}">${s.label}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** The README's performance block: the headline figures of the latest run, with date and machine. */
export function renderReadmeSummary(results: ScaleResult[], info: RunInfo): string {
  const m = info.machine;
  const v = info.v16;
  const L: string[] = [];
  L.push(
    `Latest \`npm run bench\`: ${info.date.toISOString().slice(0, 10)}, ${m.cpus} cores / ${m.memGiB} GiB, kube-apiserver + etcd + Key Vault emulator on the same cores, whole run ${n1(info.totalSeconds / 60)} min. ${info.eventsPerMode} cold + ${info.eventsPerMode} warm Key Vault events per scale, half single-SPC, half fan-out objects; ms from event receipt. Full tables: [\`test/bench/results/latest.md\`](test/bench/results/latest.md), chart: [\`latency.svg\`](test/bench/results/latency.svg).`,
  );
  L.push("");
  L.push(
    `| SPCs (SPCs per fan-out object) | Secrets patched p50 / p99 warm | p99 cold | single · fan-out p99 warm | pods nudged p99 warm | API requests per event (single · fan-out, warm) | Key Vault reads per event | timer run | pusher peak RSS |`,
  );
  L.push(`|---|---|---|---|---|---|---|---|---|`);
  for (const r of results) {
    const w = (cls?: EventClass) =>
      sel(r, "warm", cls)
        .map((s) => s.sample.secretsMs ?? NaN)
        .filter(Number.isFinite);
    const c = sel(r, "cold")
      .map((s) => s.sample.secretsMs ?? NaN)
      .filter(Number.isFinite);
    const p = sel(r, "warm")
      .map((s) => s.sample.podsMs ?? NaN)
      .filter(Number.isFinite);
    const req = (cls: EventClass) => n0(mean(sel(r, "warm", cls).map((s) => reqTotal(s.sample))));
    const kv = r.samples.map((s) => s.kvReads);
    L.push(
      `| ${n0(r.scale)} (${n0(r.fanDegree)}) | ${ms(pct(w(), 50))} / ${ms(pct(w(), 99))} | ${ms(pct(c, 99))} | ${ms(pct(w("single"), 99))} · ${ms(pct(w("fan-out"), 99))} | ${ms(pct(p, 99))} | ${req("single")} · ${req("fan-out")} | ${Math.min(...kv)}${Math.max(...kv) !== Math.min(...kv) ? `–${Math.max(...kv)}` : ""} | ${n1(mean(r.reconciles.map((x) => x.sample.durationMs)) / 1000)} s, ${n0(mean(r.reconciles.map((x) => x.kvReads)))} reads | ${mib(r.peaks.maxRss)} |`,
    );
  }
  L.push("");
  const ratios = results.map((r) => `${n0(r.scale)} SPCs ${n0(driverReadsPerHour(r, v) / ourReadsPerHour(r))}×`).join(", ");
  L.push(
    `The CSI driver's own refresh (v1.6 model: kubelet republish every 60–90 s gated by the 2-min rotation interval) leaves a mount stale ${n1(v.meanStalenessS)} s on average and up to ${v.worstStalenessS} s; env consumers stay stale until restarted (Reloader: the driver's delay + a watch). Key Vault reads per hour, driver vs pusher (timer every 5 min + one event per object per day): ${ratios}.`,
  );
  L.push("");
  L.push(`Targets:`);
  L.push("");
  for (const t of targets(results, v)) L.push(`- ${t.met ? "✅ met" : "❌ not met"} — ${t.name}: ${t.measured}`);
  return L.join("\n");
}
