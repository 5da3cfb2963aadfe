// Differential check of shared/render against the pinned upstream Go code (the Azure provider's pkg/provider and
// the CSI driver's pkg/util/secretutil, see test/oracle/build-oracle.sh and docs/fidelity.md). Seeded: the seed
// is printed, `.ci/run` pins one (KVRP_ORACLE_SEED), a plain run draws a fresh one. KVRP_ORACLE_CASE=<id>
// replays one case of a seed.
import { afterAll, beforeAll, expect, test } from "vitest";
import { generateCases, makeKeyPool, type Case } from "./support/cases.js";
import {
  describeOutcome,
  firstDifference,
  oursHistory,
  oursMount,
  oursSecretData,
  providerRequest,
  SECRET_CHECKS,
  type Outcome,
} from "./support/compare.js";
import { OracleProcess, oracleDir, oracleVersions } from "./support/oracle-process.js";
import { Rng } from "./support/prng.js";
import { join } from "node:path";

interface GoFile {
  path: string;
  content?: string;
}
interface GoMount {
  id: string;
  ok: boolean;
  files?: GoFile[];
  versions?: [string, string][];
  error?: string;
  panic?: string;
}
interface GoData {
  ok: boolean;
  value?: string;
  error?: string;
  panic?: string;
}

const seed = process.env.KVRP_ORACLE_SEED ? Number(process.env.KVRP_ORACLE_SEED) : Math.floor(Math.random() * 2 ** 31);
const only = process.env.KVRP_ORACLE_CASE;
let provider: OracleProcess;
let driver: OracleProcess;
let dir = "";

beforeAll(() => {
  dir = oracleDir();
  provider = new OracleProcess(join(dir, "provider-oracle"));
  driver = new OracleProcess(join(dir, "driver-oracle"));
});
afterAll(() => {
  provider?.close();
  driver?.close();
});

const goOutcome = (a: { ok: boolean; error?: string; panic?: string }, bytes?: string, name?: string): Outcome =>
  a.ok
    ? { ok: true, ...(name !== undefined ? { name } : {}), bytes: Buffer.from(bytes ?? "", "base64") }
    : { ok: false, error: a.panic ? `panic: ${a.panic}` : (a.error ?? "") };

const agree = (go: Outcome, ours: Outcome) =>
  go.ok && ours.ok ? go.bytes.equals(ours.bytes) && (go.name === undefined || go.name === ours.name) : !go.ok && !ours.ok && !ours.crash;

// The issue's classes, for the summary (a case may carry several tags; the first class that matches counts).
const CLASSES: [string, string[]][] = [
  ["1 chains", ["incomplete-chain", "unrelated-cert", "duplicate-cert", "two-leaves", "leaf-without-aki"]],
  ["2 bag attributes", ["unknown-attribute"]],
  ["3 x509 strictness", ["negative-serial", "critical-aki", "critical-ski"]],
  [
    "4 private keys",
    [
      "rsa-inconsistent-crt",
      "rsa-swapped-primes",
      "rsa-pkcs1-v1",
      "rsa-d-equals-n",
      "ec-pkcs8-no-params",
      "ec-mismatched-public",
      "ed25519",
    ],
  ],
  ["5 asn1 leniency", ["asn1-trailing"]],
  ["6 encoding/trim", ["whitespace", "unicode-fold"]],
  ["7 missing fields", ["missing-field"]],
  ["8 file names", ["file-name"]],
  ["history", ["created-ties"]],
];
const classify = (c: Case) =>
  c.family === "history" ? "history" : (CLASSES.find(([, tags]) => tags.some((t) => c.tags.includes(t)))?.[0] ?? "other");

interface Mismatch {
  c: Case;
  what: string;
  go: string;
  ours: string;
}

test(`shared/render matches the upstream provider and driver byte for byte (seed ${seed})`, async () => {
  const t0 = Date.now();
  const rng = new Rng(seed);
  const pool = makeKeyPool(rng);
  let cases = generateCases(rng, pool);
  if (only) cases = cases.filter((c) => c.id === only);
  const generatedMs = Date.now() - t0;

  const mismatches: Mismatch[] = [];
  const perFamily = new Map<string, { cases: number; comparisons: number; rendered: number; refused: number; mismatched: number }>();
  const count = (c: Case) => {
    const f = perFamily.get(c.family) ?? { cases: 0, comparisons: 0, rendered: 0, refused: 0, mismatched: 0 };
    perFamily.set(c.family, f);
    return f;
  };
  const record = (c: Case, what: string, go: Outcome, ours: Outcome) => {
    count(c).comparisons++;
    if (go.ok) count(c).rendered++;
    else count(c).refused++;
    if (agree(go, ours)) return;
    const diff = go.ok && ours.ok ? ` (first difference at byte ${firstDifference(go.bytes, ours.bytes)})` : "";
    mismatches.push({ c, what, go: describeOutcome(go), ours: describeOutcome(ours) + diff });
  };

  // provider side: file bytes (and history selections)
  const pc = cases.filter((c): c is Case & { kind: "mount" | "history" } => c.kind !== "file");
  const pAnswers = await provider.ask<GoMount>(pc.map(providerRequest));
  const files: { c: Case; file: Buffer }[] = [];
  pc.forEach((c, i) => {
    const a = pAnswers[i]!;
    count(c).cases++;
    if (c.kind === "history") {
      const ours = oursHistory(c);
      const goText = a.ok ? JSON.stringify(a.versions ?? []) : `error: ${a.panic ?? a.error}`;
      const oursText = ours.ok ? JSON.stringify(ours.versions) : `error: ${ours.error}`;
      count(c).comparisons++;
      if (a.ok) count(c).rendered++;
      else count(c).refused++;
      if (goText !== oursText) mismatches.push({ c, what: "history selection", go: goText, ours: oursText });
      return;
    }
    const f = a.files?.[0];
    if (a.ok && a.files?.length !== 1) throw new Error(`oracle returned ${a.files?.length} files for ${c.id}`);
    const go = goOutcome(a, f?.content, f?.path);
    const ours = oursMount(c);
    const before = mismatches.length;
    record(c, "provider file", go, ours);
    if (go.ok && mismatches.length === before) files.push({ c, file: go.bytes });
  });
  for (const c of cases) {
    if (c.kind !== "file") continue;
    count(c).cases++;
    files.push({ c, file: c.file });
  }

  // driver side: the synced Secret's data for Opaque and kubernetes.io/tls keys, from the same file bytes
  const dReqs = files.flatMap(({ c, file }) =>
    SECRET_CHECKS.map(([secretType, key]) => ({ id: c.id, file: file.toString("base64"), secretType, key })),
  );
  const dAnswers = await driver.ask<GoData>(dReqs);
  files.forEach(({ c, file }, i) => {
    SECRET_CHECKS.forEach(([secretType, key], j) => {
      const a = dAnswers[i * SECRET_CHECKS.length + j]!;
      record(c, `driver ${secretType} ${key}`, goOutcome(a, a.value), oursSecretData(secretType, key, file));
    });
  });

  for (const m of mismatches) count(m.c).mismatched++;
  const versions = oracleVersions(dir);
  const n = (v: number, w: number) => String(v).padStart(w);
  const lines = [
    `oracle seed ${seed}: ${cases.length} cases, ${[...perFamily.values()].reduce((s, f) => s + f.comparisons, 0)} comparisons, ${mismatches.length} mismatches (generated in ${generatedMs} ms, compared in ${Date.now() - t0 - generatedMs} ms)`,
    `upstream: ${versions ? `${versions.provider} pkg/provider (${versions.providerGo}), ${versions.driver} pkg/util/secretutil (${versions.driverGo})` : dir}`,
    ...[...perFamily.entries()].map(
      ([name, f]) =>
        `  ${name.padEnd(12)} ${n(f.cases, 5)} cases ${n(f.comparisons, 6)} comparisons (upstream rendered ${n(f.rendered, 5)}, refused ${n(f.refused, 5)}) ${n(f.mismatched, 4)} mismatched`,
    ),
  ];
  if (mismatches.length) {
    const byTag = new Map<string, number>();
    for (const m of mismatches)
      for (const t of m.c.tags.length ? m.c.tags : ["(no tag)"])
        byTag.set(`${m.c.family}/${t}`, (byTag.get(`${m.c.family}/${t}`) ?? 0) + 1);
    const byClass = new Map<string, number>();
    for (const m of mismatches) byClass.set(classify(m.c), (byClass.get(classify(m.c)) ?? 0) + 1);
    lines.push(
      "mismatches by class: " +
        [...byClass.entries()]
          .sort()
          .map(([k, n]) => `${k}=${n}`)
          .join(", "),
    );
    lines.push(
      "mismatches by family/tag: " +
        [...byTag.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => `${k}=${n}`)
          .join(", "),
    );
    for (const m of mismatches.slice(0, Number(process.env.KVRP_ORACLE_SHOW ?? 15))) {
      lines.push(
        `- ${m.c.id} (${m.what}); reproduce: KVRP_ORACLE_SEED=${seed} KVRP_ORACLE_CASE='${m.c.id}' npx vitest run --project oracle`,
        `    params: ${JSON.stringify(m.c.params)} tags: ${m.c.tags.join(",")} object: ${JSON.stringify(m.c.kind === "file" ? {} : m.c.object)}`,
        `    upstream: ${m.go}`,
        `    ours:     ${m.ours}`,
      );
    }
  }
  console.log(lines.join("\n"));
  expect(cases.length).toBeGreaterThanOrEqual(only ? 1 : 1000);
  expect(mismatches.length, `${mismatches.length} mismatches against upstream (seed ${seed}); see the log above`).toBe(0);
});
