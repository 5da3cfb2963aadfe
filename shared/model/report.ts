// The one result of an invocation: what changed, what was skipped and why, per cluster, with timings. Never a value.
import type { Failure } from "./failure.js";
import type { Action, ReasonCode, Reason } from "./action.js";
import type { SecretSources } from "./secretsync.js";
import type { RotationSignal } from "./signal.js";

export type ResultStatus = "applied" | "gone" | "failed" | "not-run" | "planned" | "skipped";

/** What became of one planned action. */
export interface ActionResult {
  action: Action;
  status: ResultStatus;
  error?: string;
  /** ms since the invocation's receipt when the action finished */
  atMs?: number;
  /** nudgeSecretSync: ms since receipt when the sync controller was seen to have written the Secret. */
  syncedAtMs?: number;
}

export interface ReportAction {
  type: Action["type"];
  target: string;
  status: ResultStatus;
  reason: Reason<ReasonCode>;
  keys?: string[];
  /** Keyed digest (KVRP_DIGEST_KEY) of the written values; absent without a key. Never an unkeyed hash of a value. */
  digest?: string;
  /** `object@version` each write moved the target to. */
  versions?: string[];
  atMs?: number;
  /** nudgeSecretSync: ms since receipt when the sync controller was seen to have written the Secret. */
  syncedAtMs?: number;
  error?: string;
}

export interface ClusterReport {
  cluster: string;
  ok: boolean;
  failure?: Failure;
  durationMs: number;
  actions: ReportAction[];
  /** What the cluster runs: the CSI driver, the sync controller (SecretSync), both or neither (discovery). */
  found?: SecretSources;
  /** Workloads on which this pass started a rotation's verification (see the verify timer, `status`). */
  verifying?: number;
  /** Why verification records could not be written (the push itself is unaffected). */
  verifyError?: string;
}

export interface Counts {
  secretsPatched: number;
  podsNudged: number;
  /** SecretSyncs whose forceSynchronization was set (the sync controller re-fetches). */
  secretSyncsNudged?: number;
  workloadsRestarted: number;
  skipped: number;
  failed: number;
  planned: number;
}

export interface Report {
  invocationId: string;
  trigger: "event" | "drift";
  dryRun: boolean;
  receivedAt: string;
  durationMs: number;
  signals: Pick<RotationSignal, "vault" | "objectType" | "objectName" | "version" | "eventId" | "eventTime" | "source">[];
  /** Pushes: the version each object was read at, `vault/object@version` (what `push --wait` follows). */
  versions?: string[];
  /** Key Vault reads: every call (latest, versions for proofs, version lists). */
  vaultReads: number;
  /** Of those, reads made only to prove a Secret's current content (trust). */
  proofReads: number;
  /** A Key Vault failure that stopped part of the work (the clusters that needed it say so too). */
  vaultFailure?: Failure;
  clusters: ClusterReport[];
  counts: Counts;
  skipsByReason: Partial<Record<ReasonCode, number>>;
  /** Namespaces whose SecretProviderClasses referenced more distinct objects than the per-namespace read budget. */
  overBudget?: { namespace: string; objects: number; budget: number }[];
  /** Latency from the signal's eventTime (Key Vault's clock) and from receipt to the last Secret patch / rollout. */
  timings: {
    receiptToVaultReadMs?: number;
    receiptToSecretsMs?: number;
    receiptToRolloutsMs?: number;
    /** When the last nudged SecretSync's Secret was seen written by the sync controller (within the pass's wait). */
    receiptToSecretSyncsMs?: number;
    eventToSecretsMs?: number;
    eventToRolloutsMs?: number;
  };
  /** True when some part failed in a way the trigger should retry (Event Grid redelivers). */
  retry: boolean;
  /** Drift runs only. */
  drift?: { objectsChecked: number; driftFound: number; oldestDriftSeconds?: number };
}
