// The benchmark's chart (SVG, plain text): per scale, the floor, our Secrets latency before and after issue 14, and
// the CSI driver's staleness, on a log axis.
import type { V16 } from "./baseline.js";
import { floorOf, lat, pct, type ScaleResult } from "./figures.js";

interface Series {
  label: string;
  color: string;
  get: (r: ScaleResult) => number;
}

const fmt = (v: number) => (v >= 10_000 ? `${Math.round(v / 1000)} s` : v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** Grouped bars on a log axis. `before`: the same run's figures from before issue 14 (same scales), when known. */
export function renderSvg(results: ScaleResult[], v16: typeof V16, subtitle = "", before: ScaleResult[] = []): string {
  const W = 900;
  const H = 470;
  const left = 70;
  const right = 20;
  const top = 50;
  const bottom = 110;
  const lo = Math.log10(5);
  const hi = Math.log10(400_000);
  const y = (msv: number) => top + (H - top - bottom) * (1 - (Math.log10(Math.max(5, msv)) - lo) / (hi - lo));
  const warmFanP99 = (r: ScaleResult) =>
    pct(
      lat(r, (s) => s.secretsMs, "warm", "fan-out"),
      99,
    );
  const beforeOf = (r: ScaleResult) => before.find((b) => b.scale === r.scale);
  const series: Series[] = [
    { label: "floor p99 (fan-out: KV read + GET + PATCH)", color: "#9aa5b1", get: (r) => pct(floorOf(r, "fan-out"), 99) },
    ...(before.length
      ? [{ label: "before: warm fan-out p99", color: "#b9d3ee", get: (r: ScaleResult) => (beforeOf(r) ? warmFanP99(beforeOf(r)!) : NaN) }]
      : []),
    { label: "now: warm fan-out p99", color: "#2f78c4", get: warmFanP99 },
    {
      label: "now: warm single-object p99",
      color: "#7fb3e6",
      get: (r) =>
        pct(
          lat(r, (s) => s.secretsMs, "warm", "single"),
          99,
        ),
    },
    {
      label: "now: cold p99",
      color: "#18416e",
      get: (r) =>
        pct(
          lat(r, (s) => s.secretsMs, "cold"),
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
  if (subtitle) out.push(`<text x="${W / 2}" y="40" text-anchor="middle" font-size="11" fill="#555">${esc(subtitle)}</text>`);
  for (const t of [10, 100, 1000, 10_000, 100_000]) {
    const yy = y(t).toFixed(1);
    out.push(`<line x1="${left}" y1="${yy}" x2="${W - right}" y2="${yy}" stroke="#dddddd"/>`);
    out.push(`<text x="${left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#555">${fmt(t)}</text>`);
  }
  const target = 300;
  out.push(
    `<line x1="${left}" y1="${y(target).toFixed(1)}" x2="${W - right}" y2="${y(target).toFixed(1)}" stroke="#2f78c4" stroke-dasharray="4 3"/>`,
  );
  out.push(
    `<text x="${left + 4}" y="${(y(target) - 4).toFixed(1)}" text-anchor="start" fill="#2f78c4" font-size="11">target: warm fan-out p99 ≤ 300 ms at 10,000 SPCs</text>`,
  );
  results.forEach((r, gi) => {
    const gx = left + gi * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.get(r);
      if (!Number.isFinite(v)) return;
      const x = gx + si * barW;
      const yy = y(v);
      out.push(
        `<rect x="${x.toFixed(1)}" y="${yy.toFixed(1)}" width="${(barW - 3).toFixed(1)}" height="${(H - bottom - yy).toFixed(1)}" fill="${s.color}"><title>${esc(s.label)}: ${fmt(v)}</title></rect>`,
      );
      out.push(
        `<text x="${(x + (barW - 3) / 2).toFixed(1)}" y="${(yy - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${fmt(v)}</text>`,
      );
    });
    out.push(
      `<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${H - bottom + 18}" text-anchor="middle" font-weight="bold">${r.scale.toLocaleString("en-US")} SPCs</text>`,
    );
  });
  out.push(`<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="#333"/>`);
  series.forEach((s, i) => {
    const lx = left + (i % 3) * 270;
    const ly = H - 64 + Math.floor(i / 3) * 18;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}">${esc(s.label)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
