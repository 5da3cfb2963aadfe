// Apply: executes one cluster's plan. Secrets first, then mount nudges, then rollouts, so new pods start with new values.
import pLimit from "p-limit";
import type { ClusterApi } from "../kube/cluster-api.js";
import { describe, isTransient } from "../kube/errors.js";
import type { Action } from "../plan/plan.js";

export type ResultStatus = "applied" | "gone" | "failed" | "not-run" | "planned" | "skipped";

export interface ActionResult {
  action: Action;
  status: ResultStatus;
  error?: string;
  /** ms since the invocation's receipt when the action finished */
  atMs?: number;
}

export interface ApplyOptions {
  concurrency: number;
  dryRun: boolean;
  /** Receipt time, for the report's timings. */
  receivedAt: number;
  /** Record a Kubernetes Event on every object touched (default true). */
  events?: boolean;
}

const API_VERSION: Record<string, string> = {
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  Rollout: "argoproj.io/v1alpha1",
};

export interface ApplyOutcome {
  results: ActionResult[];
  /** Set when a step failed in a way worth retrying; the caller fails the invocation so the event is redelivered. */
  transientError?: string;
}

export async function applyPlan(api: ClusterApi, actions: Action[], opts: ApplyOptions): Promise<ApplyOutcome> {
  const results: ActionResult[] = actions.filter((a) => a.type === "skip").map((action) => ({ action, status: "skipped" as const }));
  const stages = (["patchSecret", "nudgePod", "restartWorkload"] as const).map((t) => actions.filter((a) => a.type === t));
  if (opts.dryRun) {
    for (const stage of stages) for (const action of stage) results.push({ action, status: "planned" });
    return { results };
  }
  const limit = pLimit(opts.concurrency);
  const events: Promise<void>[] = [];
  let transientError: string | undefined;
  let permanentFailure = false;
  for (const stage of stages) {
    if (transientError || permanentFailure) {
      // A Secret that did not get its new bytes must not be followed by rollouts that would read the old ones.
      for (const action of stage) results.push({ action, status: "not-run", error: "an earlier step failed; redelivery will finish it" });
      continue;
    }
    const stageResults = await Promise.all(
      stage.map((action) =>
        limit(async (): Promise<ActionResult> => {
          try {
            const outcome = await run(api, action);
            const r: ActionResult = { action, status: outcome === "gone" ? "gone" : "applied", atMs: Date.now() - opts.receivedAt };
            if (outcome === "patched" && opts.events !== false) events.push(recordFor(api, action));
            return r;
          } catch (e) {
            if (isTransient(e)) transientError ??= `${label(action)}: ${describe(e)}`;
            else permanentFailure = true;
            return { action, status: "failed", error: describe(e), atMs: Date.now() - opts.receivedAt };
          }
        }),
      ),
    );
    results.push(...stageResults);
  }
  await Promise.all(events);
  return transientError ? { results, transientError } : { results };
}

function run(api: ClusterApi, a: Action): Promise<"patched" | "gone"> {
  switch (a.type) {
    case "patchSecret":
      return api.patchSecretData(a.namespace, a.name, a.data);
    case "nudgePod":
      return api.patchPodAnnotations(a.namespace, a.name, a.annotations);
    case "restartWorkload":
      return api.patchWorkloadTemplateAnnotations(a.kind, a.namespace, a.name, a.annotations);
    case "skip":
      return Promise.resolve("gone");
  }
}

export function label(a: Action): string {
  switch (a.type) {
    case "patchSecret":
      return `Secret ${a.namespace}/${a.name}`;
    case "nudgePod":
      return `Pod ${a.namespace}/${a.name}`;
    case "restartWorkload":
      return `${a.kind} ${a.namespace}/${a.name}`;
    case "skip":
      return a.target;
  }
}

/** Kubernetes Events say what changed — key names and digests, never values. Best effort: a failed Event is not a failed push. */
async function recordFor(api: ClusterApi, a: Action): Promise<void> {
  try {
    if (a.type === "patchSecret")
      await api.recordEvent({ namespace: a.namespace, kind: "Secret", apiVersion: "v1", name: a.name, reason: "SecretPushed", message: `kv-rotation-pusher updated keys ${a.keys.join(", ")} (digest ${a.digest})` });
    else if (a.type === "nudgePod")
      await api.recordEvent({ namespace: a.namespace, kind: "Pod", apiVersion: "v1", name: a.name, reason: "MountRefreshRequested", message: `kv-rotation-pusher asked kubelet to republish SecretProviderClass ${a.spc}: ${a.reason}` });
    else if (a.type === "restartWorkload")
      await api.recordEvent({ namespace: a.namespace, kind: a.kind, apiVersion: API_VERSION[a.kind] ?? "apps/v1", name: a.name, reason: "RolloutTriggered", message: `kv-rotation-pusher restarted it: ${a.reason}` });
  } catch {
    /* events are best effort */
  }
}
