// Apply: executes planned writes against one cluster with bounded concurrency, stage by stage (Secrets, then mount
// nudges, then rollouts), so new pods start with new values. Merge patches of only what we own; idempotent.
import pLimit from "p-limit";
import type { ClusterApi } from "../kube/cluster-api.js";
import { describeError, kubeFailure, statusOf } from "../kube/errors.js";
import { listSecretSyncs, patchForceSynchronization } from "../kube/secretsync-api.js";
import { targetOf, type Action, type ActionResult, type Failure, type RestartWorkload, type Write } from "../model/index.js";

export type { ActionResult } from "../model/index.js";

export interface ApplyOptions {
  concurrency: number;
  dryRun: boolean;
  /** Receipt time, for the report's timings. */
  receivedAt: number;
  /**
   * A restart whose resourceVersion precondition failed (409: the workload changed since it was read, e.g. a cache
   * that had not seen the latest change yet): the caller re-plans it from the workload as it is now — a write to try
   * again, a skip (nothing left to do), or null (the workload is gone). Without it, a 409 fails as before.
   */
  replanRestart?: (a: RestartWorkload) => Promise<Action | null>;
}

/** Precondition failures re-planned per restart before the conflict counts as a failure. */
const REPLANS = 2;

export interface ApplyOutcome {
  results: ActionResult[];
  /** The first failure that is worth retrying (the caller fails the invocation so the event is redelivered). */
  retryable?: Failure;
  /** Namespaces where a write failed for good: their later stages hold back. */
  failedNamespaces: Set<string>;
  /** Objects actually changed (for their Kubernetes Events). */
  touched: Write[];
}

// SecretSync nudges first: the sync controller's fetch is the slowest step, and nothing it does depends on ours.
const STAGES = ["nudgeSecretSync", "patchSecret", "nudgePod", "restartWorkload"] as const;

function run(api: ClusterApi, a: Write): Promise<"patched" | "gone"> {
  switch (a.type) {
    case "patchSecret":
      return api.patchSecretData(a.namespace, a.name, a.data, a.resourceVersion);
    case "nudgePod":
      return api.patchPodAnnotations(a.namespace, a.name, a.annotations);
    case "nudgeSecretSync":
      return patchForceSynchronization(api, a.namespace, a.name, a.value, a.resourceVersion);
    case "restartWorkload":
      return api.patchWorkloadTemplateAnnotations(a.kind, a.namespace, a.name, a.annotations, a.resourceVersion);
  }
}

/**
 * What the keys or annotations a write sets hold now, and the object's resourceVersion; null when it is gone.
 * Values are compared with what the plan saw (`expected`), never shown.
 */
async function reread(api: ClusterApi, a: Write): Promise<{ resourceVersion?: string; values: Record<string, string | undefined> } | null> {
  if (a.type === "patchSecret") {
    const s = await api.getSecret(a.namespace, a.name);
    return s && { resourceVersion: s.resourceVersion, values: Object.fromEntries(a.keys.map((k) => [k, s.data[k]])) };
  }
  if (a.type === "nudgeSecretSync") {
    // No `get` on SecretSyncs (least privilege): the namespace's list serves the re-read.
    const ss = (await listSecretSyncs(api, a.namespace)).find((x) => x.name === a.name);
    return ss ? { resourceVersion: ss.resourceVersion, values: { forceSynchronization: ss.forceSynchronization } } : null;
  }
  if (a.type === "restartWorkload") {
    const w = await api.getWorkload(a.kind, a.namespace, a.name);
    if (!w) return null;
    return {
      ...(w.resourceVersion ? { resourceVersion: w.resourceVersion } : {}),
      values: Object.fromEntries(Object.keys(a.annotations).map((k) => [k, w.templateAnnotations[k]])),
    };
  }
  return null;
}

/**
 * A conditional write that met a 409 is retried once, conditional on the new resourceVersion, only if what it decided
 * on is unchanged (the keys it proved, the annotations it checked): then something else moved the object — in real
 * clusters the driver adds owner references to synced Secrets every few seconds, and controllers update workload
 * status. Anything else (a newer push, another edit of our keys) stays a 409: the invocation is redelivered and
 * re-planned from what is there.
 */
async function runConditional(api: ClusterApi, a: Write): Promise<"patched" | "gone"> {
  try {
    return await run(api, a);
  } catch (e) {
    if (statusOf(e) !== 409 || a.type === "nudgePod") throw e;
    const now = await reread(api, a);
    if (!now) return "gone";
    if (Object.entries(a.expected).some(([k, v]) => now.values[k] !== v)) throw e;
    return run(api, { ...a, ...(now.resourceVersion ? { resourceVersion: now.resourceVersion } : {}) } as Write);
  }
}

/** Results for writes that must not run because an earlier step failed (skips stay skips). */
export function notRun(actions: Action[], why = "an earlier step failed; redelivery will finish it"): ActionResult[] {
  return actions.map((action) =>
    action.type === "skip" ? { action, status: "skipped" as const } : { action, status: "not-run" as const, error: why },
  );
}

/**
 * Applies the actions in stage order. A retryable failure stops the later stages (a Secret that did not get its new
 * bytes must not be followed by rollouts that would read the old ones); a permanent one holds back only its
 * namespace (one broken Secret must not block every rollout of a reconcile run). `after` carries earlier calls' state.
 */
export async function applyActions(
  api: ClusterApi,
  actions: Action[],
  opts: ApplyOptions,
  after: Pick<ApplyOutcome, "retryable" | "failedNamespaces"> = { failedNamespaces: new Set() },
): Promise<ApplyOutcome> {
  const out: ApplyOutcome = {
    results: actions.filter((a) => a.type === "skip").map((action) => ({ action, status: "skipped" as const })),
    failedNamespaces: new Set(after.failedNamespaces),
    touched: [],
    ...(after.retryable ? { retryable: after.retryable } : {}),
  };
  const stages = STAGES.map((t) => actions.filter((a): a is Write => a.type === t));
  if (opts.dryRun) {
    for (const stage of stages) for (const action of stage) out.results.push({ action, status: "planned" });
    return out;
  }
  const limit = pLimit(opts.concurrency);
  for (const stage of stages) {
    if (out.retryable) {
      out.results.push(...notRun(stage));
      continue;
    }
    const results = await Promise.all(
      stage.map((action) =>
        limit(async (): Promise<ActionResult> => {
          if (out.failedNamespaces.has(action.namespace)) return notRun([action])[0]!;
          let current: Write = action;
          for (let attempt = 0; ; attempt++) {
            try {
              const outcome = await runConditional(api, current);
              if (outcome === "patched") out.touched.push(current);
              return { action: current, status: outcome === "gone" ? "gone" : "applied", atMs: Date.now() - opts.receivedAt };
            } catch (writeError) {
              let e = writeError;
              if (current.type === "restartWorkload" && statusOf(e) === 409 && opts.replanRestart && attempt < REPLANS) {
                try {
                  const next = await opts.replanRestart(current);
                  if (!next) return { action: current, status: "gone", atMs: Date.now() - opts.receivedAt };
                  if (next.type === "skip") return { action: next, status: "skipped" };
                  current = next;
                  continue;
                } catch (replanError) {
                  e = replanError;
                }
              }
              const failure = kubeFailure(e);
              if (failure.kind === "permanent") out.failedNamespaces.add(current.namespace);
              else out.retryable ??= { ...failure, message: `${targetOf(current)}: ${failure.message}` };
              return { action: current, status: "failed", error: describeError(e), atMs: Date.now() - opts.receivedAt };
            }
          }
        }),
      ),
    );
    out.results.push(...results);
  }
  return out;
}
