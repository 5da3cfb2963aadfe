// Expiry: Key Vault's NearExpiry / Expired events, and where an expiring object is used (warned on the workloads).
import type { SignalSource, VaultObjectType } from "./signal.js";

/** A Key Vault NearExpiry / Expired event, normalized (like a rotation signal, for an object that is about to lapse). */
export interface ExpiryNotice {
  vault: string;
  objectType: VaultObjectType;
  objectName: string;
  /** The version that expires (the event's), when named. */
  version?: string;
  /** When it expires (the event's EXP, ISO 8601), when known. */
  expiresOn?: string;
  /** Expired (…Expired) rather than expiring soon (…NearExpiry). */
  expired: boolean;
  /** The Key Vault event type, e.g. Microsoft.KeyVault.SecretNearExpiry. */
  eventType: string;
  eventTime: string;
  source: SignalSource;
  eventId?: string;
}

/** Where one expiring object is used in one namespace of one cluster. */
export interface ExpiryUse {
  cluster: string;
  namespace: string;
  vault: string;
  objectType: VaultObjectType | "secret" | "key" | "cert";
  objectName: string;
  version?: string;
  expiresOn?: string;
  expired: boolean;
  /** SecretProviderClasses (names) naming the object. */
  spcs: string[];
  /** `Kind namespace/name` of the workloads that mount those classes or read their synced Secrets. */
  workloads: string[];
}

export interface ExpiryReport {
  invocationId: string;
  notices: ExpiryNotice[];
  clusters: { cluster: string; ok: boolean; failure?: { kind: string; message: string } }[];
  uses: ExpiryUse[];
  /** The metric: objects noticed, workloads warned, Events recorded. */
  counts: { objects: number; expired: number; workloads: number; spcs: number; events: number };
  retry: boolean;
}

/** Whole days from `now` until `expiresOn` (negative once expired), or undefined. */
export function daysLeft(expiresOn: string | undefined, now: Date): number | undefined {
  if (!expiresOn) return undefined;
  const ms = Date.parse(expiresOn) - now.getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 86_400_000) : undefined;
}

/** "expires in 12 days (2026-06-01)", "expired 3 days ago (…)", "has expired". */
export function expiryPhrase(u: Pick<ExpiryUse, "expiresOn" | "expired">, now: Date): string {
  const exp = u.expiresOn ? Date.parse(u.expiresOn) : NaN;
  if (!Number.isFinite(exp)) return u.expired ? "has expired" : "expires soon";
  const date = ` (${u.expiresOn!.slice(0, 10)})`;
  const ms = exp - now.getTime();
  if (ms <= 0) {
    const ago = Math.floor(-ms / 86_400_000);
    return ago === 0 ? `expired today${date}` : `expired ${ago} day${ago === 1 ? "" : "s"} ago${date}`;
  }
  const d = Math.floor(ms / 86_400_000);
  return d === 0 ? `expires within a day${date}` : `expires in ${d} day${d === 1 ? "" : "s"}${date}`;
}
