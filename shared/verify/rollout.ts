// Whether a workload's latest template has rolled out: kubectl's `rollout status` rules for Deployments, StatefulSets
// and DaemonSets (k8s.io/kubectl pkg/polymorphichelpers/rollout_status.go), and Argo Rollouts' own client-side rule
// (argo-rollouts utils/rollout/rolloututil.go GetRolloutPhase: observed generation, unpausing, then status.phase).
// Absent status fields count as Go's zero values, as they do there.
import type { RolloutObservation, WorkloadKind } from "../model/index.js";

export type RolloutProgress =
  { state: "done"; message: string } | { state: "waiting"; message: string } | { state: "failed"; message: string };

/** The Deployment controller's reason on Progressing when spec.progressDeadlineSeconds passed without progress. */
export const TIMED_OUT_REASON = "ProgressDeadlineExceeded";

const n = (v: number | undefined) => v ?? 0;

function deployment(o: RolloutObservation): RolloutProgress {
  const s = o.status;
  if (o.generation > n(s.observedGeneration))
    return { state: "waiting", message: "waiting for the Deployment controller to observe the new template" };
  const progressing = s.conditions.find((c) => c.type === "Progressing");
  if (progressing?.reason === TIMED_OUT_REASON)
    return {
      state: "failed",
      message: `exceeded its progress deadline (${o.progressDeadlineSeconds ?? 600} s)${progressing.message ? `: ${progressing.message}` : ""}`,
    };
  if (o.replicas !== undefined && n(s.updatedReplicas) < o.replicas)
    return { state: "waiting", message: `${n(s.updatedReplicas)} of ${o.replicas} new replicas updated` };
  if (n(s.replicas) > n(s.updatedReplicas))
    return { state: "waiting", message: `${n(s.replicas) - n(s.updatedReplicas)} old replica(s) pending termination` };
  if (n(s.availableReplicas) < n(s.updatedReplicas))
    return { state: "waiting", message: `${n(s.availableReplicas)} of ${n(s.updatedReplicas)} updated replicas available` };
  return { state: "done", message: `rolled out (${n(s.updatedReplicas)} updated replica(s) available)` };
}

function daemonSet(o: RolloutObservation): RolloutProgress {
  const s = o.status;
  // kubectl refuses OnDelete: nothing rolls out until someone deletes the pods.
  if ((o.updateStrategy ?? "RollingUpdate") !== "RollingUpdate")
    return { state: "failed", message: `update strategy ${o.updateStrategy} never rolls out a new template by itself (delete the pods)` };
  if (o.generation > n(s.observedGeneration))
    return { state: "waiting", message: "waiting for the DaemonSet controller to observe the new template" };
  if (n(s.updatedNumberScheduled) < n(s.desiredNumberScheduled))
    return { state: "waiting", message: `${n(s.updatedNumberScheduled)} of ${n(s.desiredNumberScheduled)} new pods updated` };
  if (n(s.numberAvailable) < n(s.desiredNumberScheduled))
    return { state: "waiting", message: `${n(s.numberAvailable)} of ${n(s.desiredNumberScheduled)} updated pods available` };
  return { state: "done", message: `rolled out (${n(s.desiredNumberScheduled)} pod(s) available)` };
}

function statefulSet(o: RolloutObservation): RolloutProgress {
  const s = o.status;
  if ((o.updateStrategy ?? "RollingUpdate") !== "RollingUpdate")
    return { state: "failed", message: `update strategy ${o.updateStrategy} never rolls out a new template by itself (delete the pods)` };
  if (n(s.observedGeneration) === 0 || o.generation > n(s.observedGeneration))
    return { state: "waiting", message: "waiting for the StatefulSet controller to observe the new template" };
  if (o.replicas !== undefined && n(s.readyReplicas) < o.replicas)
    return { state: "waiting", message: `${o.replicas - n(s.readyReplicas)} pod(s) not ready` };
  if (o.rollingUpdate) {
    if (o.replicas !== undefined && o.partition !== undefined && n(s.updatedReplicas) < o.replicas - o.partition)
      return { state: "waiting", message: `${n(s.updatedReplicas)} of ${o.replicas - o.partition} new pods updated` };
    return { state: "done", message: `rolled out (${n(s.updatedReplicas)} new pod(s))` };
  }
  if ((s.updateRevision ?? "") !== (s.currentRevision ?? ""))
    return { state: "waiting", message: `${n(s.updatedReplicas)} pod(s) at the new revision so far` };
  return { state: "done", message: `rolled out (${n(s.currentReplicas)} pod(s) at the current revision)` };
}

function argoRollout(o: RolloutObservation): RolloutProgress {
  const s = o.status;
  // observedGeneration is a string there; a non-numeric one (v0.9 and older) counts as observed.
  if (s.observedGeneration !== undefined && s.observedGeneration < o.generation)
    return { state: "waiting", message: "waiting for the Argo Rollouts controller to observe the new template" };
  if (s.controllerPause && !s.pauseConditions) return { state: "waiting", message: "waiting for the rollout to unpause" };
  const phase = s.phase ?? "";
  if (phase === "Healthy") return { state: "done", message: "rollout Healthy" };
  if (phase === "Degraded") return { state: "failed", message: `rollout Degraded${s.message ? `: ${s.message}` : ""}` };
  if (phase === "Paused") return { state: "waiting", message: `rollout Paused${s.message ? `: ${s.message}` : ""}` };
  return { state: "waiting", message: `rollout ${phase || "Progressing"}${s.message ? `: ${s.message}` : ""}` };
}

export function rolloutProgress(kind: WorkloadKind, o: RolloutObservation): RolloutProgress {
  switch (kind) {
    case "Deployment":
      return deployment(o);
    case "DaemonSet":
      return daemonSet(o);
    case "StatefulSet":
      return statefulSet(o);
    case "Rollout":
      return argoRollout(o);
  }
}
