// The one error a Key Vault read throws: a failure (not an outcome such as "disabled" or "gone") with its kind, Key
// Vault's own codes, the wait Key Vault asked for, and what to do about it.
import type { FailureKind } from "./failures.js";

export interface KeyVaultFailure {
  kind: FailureKind;
  /** HTTP status of Key Vault's final answer; absent when none arrived. */
  status?: number;
  /** Key Vault's `error.code`, or the network error code when no answer arrived. */
  code?: string;
  /** Key Vault's `error.innererror.code`. */
  innerCode?: string;
  /** Seconds Key Vault asked to wait before trying again (429/503 `Retry-After`). */
  retryAfterSeconds?: number;
  /** One line, value-free: which read failed and why. */
  message: string;
  /** What the operator should change (or that nothing needs changing). */
  fix: string;
}

export class KeyVaultReadError extends Error implements KeyVaultFailure {
  readonly kind: FailureKind;
  readonly status?: number;
  readonly code?: string;
  readonly innerCode?: string;
  readonly retryAfterSeconds?: number;
  readonly fix: string;

  constructor(f: KeyVaultFailure, options?: { cause?: unknown }) {
    super(f.message, options);
    this.name = "KeyVaultReadError";
    this.kind = f.kind;
    this.fix = f.fix;
    if (f.status !== undefined) this.status = f.status;
    if (f.code !== undefined) this.code = f.code;
    if (f.innerCode !== undefined) this.innerCode = f.innerCode;
    if (f.retryAfterSeconds !== undefined) this.retryAfterSeconds = f.retryAfterSeconds;
  }

  /** The HTTP status under the name the pipeline's generic error helpers look for. */
  get statusCode(): number | undefined {
    return this.status;
  }

  /** Only transient failures are worth retrying soon; the pipeline's generic helpers read this. */
  get transient(): boolean {
    return this.kind === "transient";
  }

  /** A plain, value-free summary for reports and logs. */
  summary(): KeyVaultFailure {
    return {
      kind: this.kind,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.code !== undefined ? { code: this.code } : {}),
      ...(this.innerCode !== undefined ? { innerCode: this.innerCode } : {}),
      ...(this.retryAfterSeconds !== undefined ? { retryAfterSeconds: this.retryAfterSeconds } : {}),
      message: this.message,
      fix: this.fix,
    };
  }
}

const SEVERITY: Record<FailureKind, number> = { transient: 0, access: 1, identity: 2 };

/**
 * The failure an invocation reports when several reads failed: a configuration failure (identity, then access) wins
 * over a transient one, since retrying cannot fix it; among transient ones the longest requested wait wins.
 */
export function worstFailure(a: KeyVaultFailure | undefined, b: KeyVaultFailure): KeyVaultFailure {
  if (!a) return b;
  if (SEVERITY[b.kind] !== SEVERITY[a.kind]) return SEVERITY[b.kind] > SEVERITY[a.kind] ? b : a;
  return (b.retryAfterSeconds ?? 0) > (a.retryAfterSeconds ?? 0) ? b : a;
}
