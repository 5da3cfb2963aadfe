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
