// Event, HTTP and CLI pushes: signal → (per cluster) inventory → Key Vault → plan → apply → report.
import { randomUUID } from "node:crypto";
import { spcsForSignals } from "../inventory/source.js";
import { providerTypesFor, type Policy, type RotationSignal, type Spc } from "../model/index.js";
import type { PlannedObject } from "../plan/plan.js";
import { buildReport } from "../report/report.js";
import type { Report } from "../model/index.js";
import { dedupeSignals } from "../signal/dedupe.js";
import { VaultReader } from "../vault/reader.js";
import { orderingFor, runClusterPass } from "./cluster-run.js";
import { readObject, typesUsed } from "./objects.js";
import type { Runtime } from "./runtime.js";
import { latestVersion } from "./verify-start.js";
import { kubeFailure } from "../kube/errors.js";

export interface PushOptions {
  invocationId?: string;
  receivedAt?: Date;
  dryRun?: boolean;
  /** Only these clusters (HTTP/CLI). */
  clusters?: string[];
  /** Only these namespaces (HTTP/CLI); intersected with the configured scope. */
  namespaces?: string[];
}

export function scopedPolicy(policy: Policy, namespaces: string[] | undefined): Policy {
  if (!namespaces?.length) return policy;
  const include = policy.namespacesInclude.length ? namespaces.filter((n) => policy.namespacesInclude.includes(n)) : namespaces;
  // An empty intersection must not widen to "all namespaces".
  return { ...policy, namespacesInclude: include.length ? include : ["\u0000none"] };
}

/**
 * A cold instance lists every SPC before it knows what to read (hundreds of ms at 10,000 SPCs): meanwhile it reads
 * the latest version of objects whose provider endpoint the event alone decides (secret and key events), and the
 * pass finds the read in the reader's memo. Warm instances answer from the SPC index at once and read only what an
 * SPC references.
 */
function readAhead(rt: Runtime, reader: VaultReader, signals: RotationSignal[], apis: Runtime["clusters"]): void {
  if (apis.every((a) => rt.spcSource.isWarm?.(a))) return;
  for (const s of signals) {
    const types = providerTypesFor(s.objectType);
    const vault = rt.config.vaults.get(s.vault);
    if (types.length !== 1 || !vault) continue;
    // Failures surface when the pass awaits the same read (or nowhere, if no SPC references the object).
    reader.read(vault, types[0]!, s.objectName).catch(() => undefined);
  }
}

/** Pushes signals to every (selected) cluster. Clusters are independent: one failing does not stop the others. */
export async function push(rt: Runtime, signalsIn: RotationSignal[], opts: PushOptions = {}): Promise<Report> {
  const receivedAt = (opts.receivedAt ?? new Date()).getTime();
  const signals = dedupeSignals(signalsIn);
  const reader = new VaultReader(rt.vaults);
  const dryRun = opts.dryRun ?? rt.config.dryRun;
  const policy = scopedPolicy(rt.config.policy, opts.namespaces);
  const apis = rt.clusters.filter((c) => !opts.clusters?.length || opts.clusters.includes(c.name));
  const ordering = orderingFor(rt, reader);
  readAhead(rt, reader, signals, apis);
  const versions = new Map<string, string>();
  const read = async (u: { signal: RotationSignal; types: ReturnType<typeof typesUsed> }) => {
    const o = await readObject(reader, rt.config.vaults, u.signal, u.types);
    const v = latestVersion(o);
    if (v) versions.set(`${o.state.vault}/${o.state.objectName}`, v.version);
    return o;
  };
  const clusters = await Promise.all(
    apis.map(async (api) => {
      let matched: Spc[][];
      try {
        matched = await spcsForSignals(rt.spcSource, api, signals);
      } catch (e) {
        return { cluster: api.name, ok: false, failure: kubeFailure(e), durationMs: Date.now() - receivedAt, actions: [] };
      }
      const used = signals.map((s, i) => ({ signal: s, types: typesUsed(matched[i] ?? [], s) })).filter((u) => u.types.length > 0);
      const { report } = await runClusterPass(rt, api, {
        spcs: [...new Set(matched.flat())],
        objectNames: used.map((u) => u.signal.objectName),
        // Read while the Secrets are fetched; what another instance wrote from a newer read is never moved back
        // (cluster-run.ts explains the guards).
        objects: (): Promise<PlannedObject[]> => Promise.all(used.map(read)),
        ordering,
        ctx: { policy, trigger: "event", now: new Date() },
        dryRun,
        receivedAt,
        reader,
      });
      return report;
    }),
  );
  const report = buildReport({
    invocationId: opts.invocationId ?? randomUUID(),
    trigger: "event",
    dryRun,
    receivedAt,
    signals,
    reads: {
      total: reader.reads,
      proof: reader.versionReads,
      ...(reader.lastReadDoneAt !== undefined ? { lastDoneAt: reader.lastReadDoneAt } : {}),
    },
    clusters,
  });
  if (versions.size) report.versions = [...versions].map(([o, v]) => `${o}@${v}`).sort();
  return report;
}
