// Apply: executes planned writes against one cluster with bounded concurrency, stage by stage (Secrets, then mount
// nudges, then rollouts), so new pods start with new values. Merge patches of only what we own; idempotent.
import pLimit from "p-limit";
import type { ClusterApi } from "../kube/cluster-api.js";
import { describeError, kubeFailure } from "../kube/errors.js";
import { patchForceSynchronization } from "../kube/secretsync-api.js";
import { targetOf, type Action, type ActionResult, type Failure, type Write } from "../model/index.js";

export type { ActionResult } from "../model/index.js";

export interface ApplyOptions {
  concurrency: number;
  dryRun: boolean;
  /** Receipt time, for the report's timings. */
  receivedAt: number;
}

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
          try {
            const outcome = await run(api, action);
            if (outcome === "patched") out.touched.push(action);
            return { action, status: outcome === "gone" ? "gone" : "applied", atMs: Date.now() - opts.receivedAt };
          } catch (e) {
            const failure = kubeFailure(e);
            if (failure.kind === "permanent") out.failedNamespaces.add(action.namespace);
            else out.retryable ??= { ...failure, message: `${targetOf(action)}: ${failure.message}` };
            return { action, status: "failed", error: describeError(e), atMs: Date.now() - opts.receivedAt };
          }
        }),
      ),
    );
    out.results.push(...results);
  }
  return out;
}
