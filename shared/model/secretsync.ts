// SecretSync objects (Secrets Store Sync Controller, `secret-sync.x-k8s.io/v1alpha1`; the Azure Key Vault Secret Store
// extension ships it) as the pipeline sees them, and the controller's status vocabulary (pure).
//
// The controller writes a Secret named after each SecretSync from the provider's files (sourcePath → targetKey), with
// the SecretSync's service account identity, at its poll (rotationPollIntervalInSeconds, 1 h in the extension) or at
// once when `spec.forceSynchronization` changes value (a spec change bumps metadata.generation, which the controller
// reconciles on). The pusher only ever sets that field: it writes no Secret data for these targets.

export const SECRETSYNC_GROUP = "secret-sync.x-k8s.io";
export const SECRETSYNC_VERSION = "v1alpha1";
export const SECRETSYNC_PLURAL = "secretsyncs";
export const SECRETSYNC_KIND = "SecretSync";

/** One status condition, as the API serves it (metav1.Condition). */
export interface SyncCondition {
  type: string;
  status: string;
  reason: string;
  lastTransitionTime?: string;
}

export interface SecretSyncState {
  namespace: string;
  /** Also the name of the Secret the controller writes. */
  name: string;
  spcName: string;
  serviceAccountName: string;
  /** spec.secretObject.type (the controller's default: Opaque). */
  secretType: string;
  /** spec.secretObject.data: provider file path → Secret key. */
  data: { sourcePath: string; targetKey: string }[];
  forceSynchronization: string;
  resourceVersion: string;
  generation?: number;
  lastSuccessfulSyncTime?: Date;
  /**
   * status.syncHash: changes with every write the controller makes (it covers the data and the forceSynchronization
   * value). Compared for equality only — lastSuccessfulSyncTime has whole-second precision, so two syncs within a
   * second look alike there. Never logged or reported.
   */
  syncHash?: string;
  conditions: SyncCondition[];
}

/**
 * forceSynchronization's validation (api/v1alpha1 secretsync_types.go): at most 253 characters matching this
 * pattern. A value the API server would refuse is never planned.
 */
export const FORCE_SYNC_MAX = 253;
export const FORCE_SYNC_PATTERN = /^[A-Za-z0-9]([-A-Za-z0-9]+([-._a-zA-Z0-9]?[A-Za-z0-9])*)?$/;

export function validForceSync(v: string): boolean {
  return v.length <= FORCE_SYNC_MAX && FORCE_SYNC_PATTERN.test(v);
}

/**
 * Condition names in the dialects the controller has used: v0.0.4 (the latest release: types Create/Update,
 * reasons CreateSucceeded, UpdateValueChangeOrForceUpdateSucceeded, …), the API's documented names
 * (ValueChangeOrForceUpdateDetected) and the main branch after v0.0.4 (SecretCreated/SecretUpdated, SecretUpToDate).
 */
const CREATE_TYPES = new Set(["Create", "SecretCreated"]);
const UPDATE_TYPES = new Set(["Update", "SecretUpdated"]);
/** Reasons of a sync that wrote the Secret (a value change, a forced sync or the first create). */
const WROTE_REASONS = new Set([
  "CreateSucceeded",
  "CreateSuccessful",
  "UpdateValueChangeOrForceUpdateSucceeded",
  "ValueChangeOrForceUpdateDetected",
  "SecretUpToDate",
]);
/** Reasons that are neither success nor failure: the controller has not finished a first attempt. */
const STARTING_REASONS = new Set(["SyncStarting", "NoUpdatesAttemptedYet", "Unknown", ""]);

/** What the controller's status says about its last attempt. */
export type SyncStatus =
  | { state: "failed"; condition: string; reason: string }
  | { state: "wrote"; at?: Date; reason: string }
  | { state: "unchanged"; reason: string }
  | { state: "none" };

/** Pure: the controller's verdict on its last attempt, from the Create/Update conditions (either dialect). */
export function syncStatus(ss: Pick<SecretSyncState, "conditions" | "lastSuccessfulSyncTime">): SyncStatus {
  const ours = ss.conditions.filter((c) => CREATE_TYPES.has(c.type) || UPDATE_TYPES.has(c.type));
  // A failed attempt shows as status False (or Unknown with a failure reason, v0.0.4's UnknownError and
  // ControllerInternalError) on either condition; the controller retries it at its next poll.
  const failed = ours.find((c) => c.status === "False" || (c.status === "Unknown" && !STARTING_REASONS.has(c.reason)));
  if (failed) return { state: "failed", condition: failed.type, reason: failed.reason || "(no reason)" };
  const update = ours.find((c) => UPDATE_TYPES.has(c.type) && c.status === "True");
  const create = ours.find((c) => CREATE_TYPES.has(c.type) && c.status === "True");
  const wrote = [update, create].find((c) => c && WROTE_REASONS.has(c.reason));
  if (wrote) return { state: "wrote", reason: wrote.reason, ...(ss.lastSuccessfulSyncTime ? { at: ss.lastSuccessfulSyncTime } : {}) };
  if (update || create) return { state: "unchanged", reason: (update ?? create)!.reason };
  return { state: "none" };
}

/** Which of the two mechanisms a cluster runs (discovery, cached per instance). */
export interface SecretSources {
  /** The Secrets Store CSI driver's CSIDriver object exists. */
  csiDriver: boolean;
  /** The SecretSync API is served (the sync controller or the Secret Store extension is installed). */
  syncController: boolean;
}
