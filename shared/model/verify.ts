// Verified rotations: what a push leaves in the cluster to be followed to its end, what is observed meanwhile, and the
// outcome. Records live on the workloads (the driver rebuilds synced Secrets and drops what it did not put there).
import type { WorkloadKind } from "./workload.js";

export type VerifyState = "pending" | "verified" | "failed";

/** One rotation's verification on one workload: the record its annotation holds (value-free: names and versions). */
export interface RotationRecord {
  vault: string;
  objectName: string;
  version: string;
  /** The Key Vault event's time (ISO 8601): "time from the event to verified" counts from here. */
  eventTime: string;
  /** When the push recorded it (ISO 8601); the deadline counts from here. */
  since: string;
  state: VerifyState;
  /** When it was finished (verified or failed), ISO 8601. */
  finishedAt?: string;
  /** Milliseconds from eventTime to finishedAt. */
  eventToDoneMs?: number;
  /** Why it failed (value-free: pods, kubelet's reasons, versions; at most a few). */
  problems?: VerifyProblem[];
}

/** `vault/object@version`: one rotation, whichever workloads and clusters it reaches. */
export const rotationKey = (r: Pick<RotationRecord, "vault" | "objectName" | "version">): string =>
  `${r.vault}/${r.objectName}@${r.version}`;

export interface ContainerObservation {
  name: string;
  ready: boolean;
  restartCount: number;
  /** state.waiting.reason (CrashLoopBackOff, ImagePullBackOff, ContainerCreating, …). */
  waiting?: { reason: string; message?: string };
  /** state.terminated (a container that exited and is not restarted yet). */
  terminated?: { reason: string; exitCode: number };
  /** lastState.terminated: why the previous run ended (a crash loop's cause). */
  lastTerminated?: { reason: string; exitCode: number; finishedAt?: string };
}

/** A pod as verification sees it: whose it is, what it carries, and how its containers are. */
export interface PodObservation {
  namespace: string;
  name: string;
  phase: string;
  /** metadata.deletionTimestamp set: on its way out, not judged. */
  terminating: boolean;
  annotations: Record<string, string>;
  /** The Ready condition's status. */
  ready: boolean;
  containers: ContainerObservation[];
  initContainers: ContainerObservation[];
  /** Warning Events recorded on the pod (reason: message), read only for pods that are not ready. */
  warnings?: string[];
}

/** One problem found on a workload: its pod (if any), a short reason and a value-free detail. */
export interface VerifyProblem {
  pod?: string;
  reason: string;
  detail: string;
}

/** The verdict on one workload's record. */
export interface WorkloadVerdict {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  record: RotationRecord;
  state: VerifyState;
  /** Failed: why. Pending: what is still outstanding. */
  problems: VerifyProblem[];
  /** What was checked, for the Event and the report ("2/2 pods on the new version, rollout complete"). */
  checked: string;
}

/** A rotation's outcome in one cluster: every workload it reached, folded. */
export interface RotationOutcome {
  cluster: string;
  vault: string;
  objectName: string;
  version: string;
  eventTime: string;
  state: VerifyState;
  /** Event → the last workload verified (verified), or → the failure found (failed). */
  eventToDoneMs?: number;
  workloads: {
    target: string;
    state: VerifyState;
    problems: VerifyProblem[];
    finishedAt?: string;
  }[];
}

/** What one verification run did, per cluster. */
export interface VerifyReport {
  invocationId: string;
  startedAt: string;
  durationMs: number;
  clusters: { cluster: string; ok: boolean; failure?: { kind: string; message: string }; pending: number; finished: number }[];
  /** Rotations whose last pending workload was finished by this run. */
  outcomes: RotationOutcome[];
  /** Rotations still in flight after this run. */
  inFlight: RotationOutcome[];
  retry: boolean;
}
