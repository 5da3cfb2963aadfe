// The one error a Key Vault read throws: a failure (not an outcome such as "disabled" or "gone") with its kind, Key
// Vault's own codes, the wait Key Vault asked for, and what to do about it — as the model's Failure, so every layer
// above handles it like any other classified failure.
import { ClassifiedError, type Failure } from "../model/index.js";
import type { FailureKind } from "./failures.js";

export interface KeyVaultFailure extends Failure {
  kind: FailureKind;
  /** What the operator should change (or that nothing needs changing). */
  fix: string;
}

export class KeyVaultReadError extends ClassifiedError {
  constructor(
    readonly keyVault: KeyVaultFailure,
    options?: { cause?: unknown },
  ) {
    super({ ...keyVault, source: "keyvault" }, options);
    this.name = "KeyVaultReadError";
  }

  get kind(): FailureKind {
    return this.keyVault.kind;
  }

  get fix(): string {
    return this.keyVault.fix;
  }

  /** A plain, value-free summary for reports and logs. */
  summary(): KeyVaultFailure {
    return { ...this.keyVault };
  }
}
