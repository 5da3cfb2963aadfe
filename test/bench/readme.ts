// The README's performance block: issue 14's figures before and after with their floor multiples, then the headline
// figures of every scale of the latest run, with date and machine.
import {
  driverReadsPerHour,
  floorSummary,
  headlines,
  lat,
  mean,
  ourReadsPerHour,
  pct,
  reqCritical,
  sel,
  type EventClass,
  type RunInfo,
  type ScaleResult,
} from "./figures.js";
import { headlineValue, mib, ms, msUnit, n0, n1, targets, times } from "./output.js";

/** How the `before` figures were made (shown with them). */
export interface BeforeInfo {
  date: string;
  commit: string;
  load: number[];
}

export function renderReadmeSummary(results: ScaleResult[], info: RunInfo, before?: { results: ScaleResult[]; info: BeforeInfo }): string {
  const m = info.machine;
  const v = info.v16;
  const L: string[] = [];
  L.push(
    `Latest \`npm run bench\`: ${info.date.toISOString().slice(0, 10)}, ${m.cpus} cores / ${m.memGiB} GiB, kube-apiserver + etcd + Key Vault emulator on the same cores, whole run ${n1(info.totalSeconds / 60)} min, load average at the end ${m.load.map((x) => x.toFixed(1)).join(" ")}. ${info.eventsPerMode} cold + ${info.eventsPerMode} warm Key Vault events per scale, half single-SPC, half fan-out objects; ms from event receipt. Full tables: [\`test/bench/results/latest.md\`](test/bench/results/latest.md), chart: [\`latency.svg\`](test/bench/results/latency.svg).`,
  );
  const big = results.find((r) => r.scale === 10_000) ?? results[results.length - 1]!;
  const old = before?.results.find((r) => r.scale === big.scale);
  const f = floorSummary(big);
  L.push("");
  L.push(
    `**At ${n0(big.scale)} SPCs** (fan-out: ${n1(big.fanDegree)} SPCs per object). The floor, on the same API server at the pusher's concurrency, stage by stage: one Key Vault read, then the affected Secrets' GET + PATCH (p99 ${msUnit(f.single.secrets.p99)} for one Secret, ${msUnit(f["fan-out"].secrets.p99)} for a fan-out), then their pods' PATCH (fan-out ${msUnit(f["fan-out"].pods.p99)}), then their Deployments' template PATCH (fan-out ${msUnit(f["fan-out"].rollouts.p99)}); a cold instance first lists every SPC once (cold floor: single ${msUnit(f.single.cold.p99)}, fan-out ${msUnit(f["fan-out"].cold.p99)}). "× floor" is a p99 divided by the floor's p99 of its event class up to the same stage; "floor p99" is that floor.${old && before ? ` Before: \`npm run bench\` at ${before.info.commit} (${before.info.date}, load average ${before.info.load.map((x) => x.toFixed(1)).join(" ")}), the code before the watch caches and the Secrets-first pipeline.` : ""}`,
  );
  L.push("");
  L.push(`| figure | before | now | floor p99 | × floor | target | |`);
  L.push(`|---|---|---|---|---|---|---|`);
  const oldHeadlines = old ? headlines(old) : [];
  for (const h of headlines(big)) {
    const o = oldHeadlines.find((x) => x.name === h.name);
    // Before the background Events, an invocation waited for them: "before" counts every request it made.
    const beforeValue =
      o && h.unit === "requests"
        ? n1(mean(sel(old!, "warm", "fan-out").map((s) => total(s.sample.requests) / Math.max(1, s.affectedSpcs))))
        : o
          ? headlineValue(o)
          : "–";
    L.push(
      `| ${h.name} | ${beforeValue} | ${headlineValue(h)} | ${h.floorP99 !== undefined ? msUnit(h.floorP99) : "–"} | ${times(h.floorX)} | ${h.targetLabel} | ${h.met ? "✅" : "❌"} |`,
    );
  }
  L.push("");
  L.push(
    `| SPCs (SPCs per fan-out object) | Secrets patched p50 / p99 warm | p99 cold | single · fan-out p99 warm (× floor) | pods nudged p99 warm | API requests per event, critical path (single · fan-out, warm) | Key Vault reads per event (latest + proofs) | timer runs | pusher peak RSS |`,
  );
  L.push(`|---|---|---|---|---|---|---|---|---|`);
  for (const r of results) {
    const w = (cls?: EventClass) => lat(r, (s) => s.secretsMs, "warm", cls);
    const fl = floorSummary(r);
    const x = (cls: EventClass) => (fl[cls].secrets.n ? ` (${times(pct(w(cls), 99) / fl[cls].secrets.p99)})` : "");
    const req = (cls: EventClass) => n0(mean(sel(r, "warm", cls).map((s) => reqCritical(s.sample))));
    const kv = r.samples.map((s) => s.kvReads);
    L.push(
      `| ${n0(r.scale)} (${n0(r.fanDegree)}) | ${ms(pct(w(), 50))} / ${ms(pct(w(), 99))} | ${ms(
        pct(
          lat(r, (s) => s.secretsMs, "cold"),
          99,
        ),
      )} | ${ms(pct(w("single"), 99))}${x("single")} · ${ms(pct(w("fan-out"), 99))}${x("fan-out")} | ${ms(
        pct(
          lat(r, (s) => s.podsMs, "warm"),
          99,
        ),
      )} | ${req("single")} · ${req("fan-out")} | ${Math.min(...kv)}–${Math.max(...kv)} | ${r.reconciles.map((c) => `${n1(c.sample.durationMs / 1000)} s`).join(", ")} (${n0(mean(r.reconciles.map((c) => c.kvReads)))} reads) | ${mib(r.peaks.maxRss)} |`,
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

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
