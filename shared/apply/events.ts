// Kubernetes Events on the objects we changed: what changed and why — key names, versions and keyed digests only.
import pLimit from "p-limit";
import type { ClusterApi, EventSpec } from "../kube/cluster-api.js";
import {
  SECRETSYNC_GROUP,
  SECRETSYNC_KIND,
  SECRETSYNC_VERSION,
  apiVersionOf,
  objectVersionLabel,
  workloadKind,
  type Write,
} from "../model/index.js";

export type { EventSpec } from "../kube/cluster-api.js";

export function eventFor(a: Write): EventSpec {
  switch (a.type) {
    case "patchSecret":
      return {
        namespace: a.namespace,
        kind: "Secret",
        apiVersion: "v1",
        name: a.name,
        reason: "SecretPushed",
        message: `kv-rotation-pusher updated keys ${a.keys.join(", ")} to ${a.objects.map(objectVersionLabel).join(", ")}${a.digest ? ` (digest ${a.digest})` : ""}`,
      };
    case "nudgePod":
      return {
        namespace: a.namespace,
        kind: "Pod",
        apiVersion: "v1",
        name: a.name,
        reason: "MountRefreshRequested",
        message: `kv-rotation-pusher asked kubelet to republish SecretProviderClass ${a.spc}: ${a.reason.detail}`,
      };
    case "nudgeSecretSync":
      return {
        namespace: a.namespace,
        kind: SECRETSYNC_KIND,
        apiVersion: `${SECRETSYNC_GROUP}/${SECRETSYNC_VERSION}`,
        name: a.name,
        reason: "SyncRequested",
        message: `kv-rotation-pusher asked the sync controller to re-fetch ${a.objects.map(objectVersionLabel).join(", ")} (forceSynchronization ${a.value}): ${a.reason.detail}`,
      };
    case "restartWorkload":
      return {
        namespace: a.namespace,
        kind: a.kind,
        apiVersion: apiVersionOf(workloadKind(a.kind)),
        name: a.name,
        reason: "RolloutTriggered",
        message: `kv-rotation-pusher restarted it: ${a.reason.detail}`,
      };
  }
}

/**
 * A Warning on a synced Secret the pusher refused to write for lack of proof. The tenant reads it, so it names the rule
 * only: no value, no digest, no version of the object (the operator's report has the details).
 */
export function noProofEvent(namespace: string, secretName: string): EventSpec {
  return {
    namespace,
    kind: "Secret",
    apiVersion: "v1",
    name: secretName,
    reason: "PushRefused",
    type: "Warning",
    message:
      "kv-rotation-pusher did not write this Secret: its keys do not hold a rendering of a recent version of the object, " +
      "so nothing proves the CSI driver synced it for a workload allowed to read it. The driver syncs it on its own.",
  };
}

/**
 * One Event per object and reason: writes that touched one object several times in an invocation (a Secret fed by
 * several objects, a pod nudged for two classes) are told once, their messages joined.
 */
export function aggregateEvents(events: EventSpec[]): EventSpec[] {
  const byKey = new Map<string, EventSpec>();
  for (const e of events) {
    const k = [e.namespace, e.kind, e.name, e.reason].join("|");
    const prev = byKey.get(k);
    if (!prev) byKey.set(k, { ...e });
    else if (!prev.message.includes(e.message)) prev.message = `${prev.message}; ${e.message}`;
  }
  return [...byKey.values()];
}

/** Records Events, best effort (a failed Event is not a failed push), at most `concurrency` at a time. */
export async function recordEvents(api: ClusterApi, events: EventSpec[], concurrency: number): Promise<void> {
  const limit = pLimit(concurrency);
  await Promise.all(
    events.map((e) =>
      limit(async () => {
        try {
          await api.recordEvent(e);
        } catch {
          /* events are best effort */
        }
      }),
    ),
  );
}

/**
 * A Warning on a SecretSync whose sync failed after the pusher asked for a new version: the controller's own reason
 * (a condition reason, never its message, which may quote provider output), so `kubectl describe` shows why.
 */
export function syncFailedEvent(namespace: string, name: string, detail: string): EventSpec {
  return {
    namespace,
    kind: SECRETSYNC_KIND,
    apiVersion: `${SECRETSYNC_GROUP}/${SECRETSYNC_VERSION}`,
    name,
    reason: "RotationFailed",
    type: "Warning",
    message: `kv-rotation-pusher: the new version did not reach this SecretSync's Secret: ${detail}`,
  };
}
