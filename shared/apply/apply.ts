// Apply: executes planned writes against one cluster with bounded concurrency, stage by stage (Secrets, then mount
// nudges, then rollouts), so new pods start with new values. Merge patches of only what we own; idempotent.
import pLimit from "p-limit";
import type { ClusterApi } from "../kube/cluster-api.js";
import { describeError, kubeFailure, statusOf } from "../kube/errors.js";
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

const STAGES = ["patchSecret", "nudgePod", "restartWorkload"] as const;

function run(api: ClusterApi, a: Write): Promise<"patched" | "gone"> {
  switch (a.type) {
    case "patchSecret":
      return api.patchSecretData(a.namespace, a.name, a.data, a.resourceVersion);
    case "nudgePod":
      return api.patchPodAnnotations(a.namespace, a.name, a.annotations);
    case "restartWorkload":
      return api.patchWorkloadTemplateAnnotations(a.kind, a.namespace, a.name, a.annotations, a.resourceVersion);
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
              const outcome = await run(api, current);
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
