// Writes one run's outputs: results/latest.md, latency.svg, latest.json, and — for a full run — the README's
// performance block. `npm run bench` calls it after measuring; `node dist/test/bench/write.js` re-renders them from
// results/latest.json (after a change to the report's presentation, without measuring again).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { POLLING, V16 } from "./baseline.js";
import { renderSvg } from "./chart.js";
import type { RunInfo, ScaleResult } from "./figures.js";
import { renderModuleLoad, type ModuleLoadRow } from "./module-load.js";
import { renderMarkdown } from "./output.js";
import { renderReadmeSummary, type BeforeInfo } from "./readme.js";

const here = new URL(".", import.meta.url).pathname;
export const resultsDir = join(here.replace(/\/dist\/test\/bench\/?$/, "/test/bench"), "results");
const FULL = "100,1000,10000";

export interface RunRecord {
  date: string;
  machine: RunInfo["machine"];
  totalSeconds: number;
  eventsPerMode: number;
  results: ScaleResult[];
  moduleLoad: ModuleLoadRow[];
}

/**
 * The run this work is compared with (`results/before.json`: the latest.json of a full run of the code before issue
 * 14, with the commit it ran); absent, the README shows no "before" column.
 */
function loadBefore(): { results: ScaleResult[]; info: BeforeInfo } | undefined {
  const file = join(resultsDir, "before.json");
  if (!existsSync(file)) return undefined;
  const j = JSON.parse(readFileSync(file, "utf8")) as { date: string; commit: string; machine: { load: number[] }; results: ScaleResult[] };
  return { results: j.results, info: { date: j.date.slice(0, 10), commit: j.commit, load: j.machine.load } };
}

export async function writeOutputs(run: RunRecord, log: (s: string) => void): Promise<string> {
  const info: RunInfo = {
    machine: run.machine,
    totalSeconds: run.totalSeconds,
    date: new Date(run.date),
    v16: V16,
    polling: POLLING,
    eventsPerMode: run.eventsPerMode,
  };
  const before = loadBefore();
  const md = `${renderMarkdown(run.results, info)}\n${renderModuleLoad(run.moduleLoad)}`;
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "latest.md"), md);
  const m = run.machine;
  const subtitle = `${run.date.slice(0, 10)} · ${m.cpus} cores, ${m.memGiB} GiB, API server + etcd on the same cores · pusher: event receipt → last Secret patched · driver: v1.6 model`;
  writeFileSync(join(resultsDir, "latency.svg"), renderSvg(run.results, V16, subtitle, before?.results ?? []));
  writeFileSync(join(resultsDir, "latest.json"), JSON.stringify(run, null, 1));
  // The README's performance section carries the latest headline figures (between the bench markers).
  const readme = join(resultsDir, "..", "..", "..", "README.md");
  const START = "<!-- bench:start -->";
  const END = "<!-- bench:end -->";
  if (run.results.map((r) => r.scale).join(",") === FULL && existsSync(readme)) {
    const text = readFileSync(readme, "utf8");
    const a = text.indexOf(START);
    const b = text.indexOf(END);
    if (a >= 0 && b > a) {
      let block = renderReadmeSummary(run.results, info, before);
      try {
        // Formatted as the project's prettier config says (tables aligned), so the block never trips `npm run lint`.
        const prettier = await import("prettier");
        block = (await prettier.format(block, { ...(await prettier.resolveConfig(readme)), parser: "markdown" })).trimEnd();
      } catch {
        /* unformatted is still correct markdown */
      }
      writeFileSync(readme, `${text.slice(0, a + START.length)}\n\n${block}\n\n${text.slice(b)}`);
      log(`updated the performance section of ${readme}`);
    }
  }
  return md;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const run = JSON.parse(readFileSync(join(resultsDir, "latest.json"), "utf8")) as RunRecord;
  run.eventsPerMode ??= 50;
  await writeOutputs(run, (s) => process.stderr.write(`${s}\n`));
  process.stderr.write(`re-rendered ${resultsDir} from latest.json\n`);
}
