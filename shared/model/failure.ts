// How something failed, as a field: it decides redelivery, HTTP status and exit codes at every entry point.

/**
 * - transient: worth retrying as is (network, throttling, 5xx, conflicts) — Event Grid redelivers, HTTP 503.
 * - access: refused by policy, network rules or RBAC — retried (and finally dead-lettered) so it is not lost, HTTP 502.
 * - identity: the credential itself was rejected — as access.
 * - permanent: retrying cannot help (bad data, an object kind the cluster refuses) — reported, acknowledged, HTTP 502.
 */
export type FailureKind = "transient" | "access" | "identity" | "permanent";

export interface Failure {
  kind: FailureKind;
  /** What failed, value-free (status, codes, names). */
  message: string;
  /** What to do about it, when known. */
  fix?: string;
  /** Seconds the server asked us to wait (Retry-After), when it said. */
  retryAfterSeconds?: number;
  /** Which system failed: Key Vault failures are also reported once for the invocation (`Report.vaultFailure`). */
  source?: "keyvault" | "kubernetes";
  /** The answer's HTTP status and the service's own error codes (Key Vault: `error.code`, `error.innererror.code`). */
  status?: number;
  code?: string;
  innerCode?: string;
}

const SEVERITY: Record<FailureKind, number> = { transient: 0, permanent: 1, access: 2, identity: 3 };

/**
 * The failure to report when several happened: one that needs a configuration change (identity, then access) wins
 * over one that retrying may fix; among equals, the longest requested wait.
 */
export function worstFailure(a: Failure | undefined, b: Failure): Failure {
  if (!a) return b;
  if (SEVERITY[b.kind] !== SEVERITY[a.kind]) return SEVERITY[b.kind] > SEVERITY[a.kind] ? b : a;
  return (b.retryAfterSeconds ?? 0) > (a.retryAfterSeconds ?? 0) ? b : a;
}

/** Failures the triggers retry: everything but permanent ones. */
export function isRetryable(kind: FailureKind): boolean {
  return kind !== "permanent";
}

/** An error that carries its classification across layers. */
export class ClassifiedError extends Error {
  constructor(
    readonly failure: Failure,
    options?: { cause?: unknown },
  ) {
    super(failure.message, options);
    this.name = "ClassifiedError";
  }
}
