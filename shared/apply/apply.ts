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
  /** Record a Kubernetes Event on every object touched (default true); false leaves them to the caller (`touched`). */
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
  /** Some step failed (transiently or not): later stages must not run. */
  failed?: boolean;
  /** Objects actually changed (for their Kubernetes Events). */
  touched: Action[];
}

export async function applyPlan(api: ClusterApi, actions: Action[], opts: ApplyOptions): Promise<ApplyOutcome> {
  const results: ActionResult[] = actions.filter((a) => a.type === "skip").map((action) => ({ action, status: "skipped" as const }));
  const stages = (["patchSecret", "nudgePod", "restartWorkload"] as const).map((t) => actions.filter((a) => a.type === t));
  if (opts.dryRun) {
    for (const stage of stages) for (const action of stage) results.push({ action, status: "planned" });
    return { results, touched: [] };
  }
  const limit = pLimit(opts.concurrency);
  const touched: Action[] = [];
  let transientError: string | undefined;
  let permanentFailure = false;
  // Namespaces where a step failed for good hold back their later steps; others go on (one broken Secret must not
  // block every rollout of a reconcile run, which applies the whole cluster's plan at once).
  const failedNamespaces = new Set<string>();
  for (const stage of stages) {
    if (transientError) {
      // A Secret that did not get its new bytes must not be followed by rollouts that would read the old ones.
      results.push(...notRun(stage));
      continue;
    }
    const stageResults = await Promise.all(
      stage.map((action) =>
        limit(async (): Promise<ActionResult> => {
          if (action.type !== "skip" && failedNamespaces.has(action.namespace)) return notRun([action])[0]!;
          try {
            const outcome = await run(api, action);
            const r: ActionResult = { action, status: outcome === "gone" ? "gone" : "applied", atMs: Date.now() - opts.receivedAt };
            if (outcome === "patched") touched.push(action);
            return r;
          } catch (e) {
            if (isTransient(e)) transientError ??= `${label(action)}: ${describe(e)}`;
            else {
              permanentFailure = true;
              if (action.type !== "skip") failedNamespaces.add(action.namespace);
            }
            return { action, status: "failed", error: describe(e), atMs: Date.now() - opts.receivedAt };
          }
        }),
      ),
    );
    results.push(...stageResults);
  }
  // Events after the changes themselves, bounded like them: they must not slow the critical path.
  if (opts.events !== false) await recordEvents(api, touched, opts.concurrency);
  const failed = !!transientError || permanentFailure;
  return { results, touched, ...(transientError ? { transientError } : {}), ...(failed ? { failed } : {}) };
}

/** Results for actions that must not run because an earlier step failed (skips stay skips). */
export function notRun(actions: Action[]): ActionResult[] {
  return actions.map((action) =>
    action.type === "skip"
      ? { action, status: "skipped" as const }
      : { action, status: "not-run" as const, error: "an earlier step failed; redelivery will finish it" },
  );
}

/** Kubernetes Events for the touched objects, best effort, at most `concurrency` at a time. */
export async function recordEvents(api: ClusterApi, touched: Action[], concurrency: number): Promise<void> {
  const limit = pLimit(concurrency);
  await Promise.all(touched.map((a) => limit(() => recordFor(api, a))));
}

function run(api: ClusterApi, a: Action): Promise<"patched" | "gone"> {
  switch (a.type) {
    case "patchSecret":
      return api.patchSecretData(a.namespace, a.name, a.data, a.resourceVersion);
    case "nudgePod":
      return api.patchPodAnnotations(a.namespace, a.name, a.annotations);
    case "restartWorkload":
      return api.patchWorkloadTemplateAnnotations(a.kind, a.namespace, a.name, a.annotations, a.resourceVersion);
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
      await api.recordEvent({
        namespace: a.namespace,
        kind: "Secret",
        apiVersion: "v1",
        name: a.name,
        reason: "SecretPushed",
        message: `kv-rotation-pusher updated keys ${a.keys.join(", ")} (digest ${a.digest})`,
      });
    else if (a.type === "nudgePod")
      await api.recordEvent({
        namespace: a.namespace,
        kind: "Pod",
        apiVersion: "v1",
        name: a.name,
        reason: "MountRefreshRequested",
        message: `kv-rotation-pusher asked kubelet to republish SecretProviderClass ${a.spc}: ${a.reason}`,
      });
    else if (a.type === "restartWorkload")
      await api.recordEvent({
        namespace: a.namespace,
        kind: a.kind,
        apiVersion: API_VERSION[a.kind] ?? "apps/v1",
        name: a.name,
        reason: "RolloutTriggered",
        message: `kv-rotation-pusher restarted it: ${a.reason}`,
      });
  } catch {
    /* events are best effort */
  }
}
