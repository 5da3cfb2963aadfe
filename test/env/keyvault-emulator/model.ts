/**
 * In-memory data model of the Key Vault emulator (JSON-serialisable, so that it can be persisted as-is).
 */
import { randomBytes } from "node:crypto";

export type Tags = Record<string, string>;
export type Json = Record<string, unknown>;

/** An error answered with Key Vault's error body `{"error":{"code","message","innererror"?}}`. */
export class KvError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export interface Attributes {
  enabled: boolean;
  /** Unix seconds. */
  created: number;
  updated: number;
  nbf?: number;
  exp?: number;
}

export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Tags;
  attributes: Attributes;
  /** Set for the secret backing a certificate. */
  managed?: boolean;
  /** For certificate-backed secrets: the backing key has the same name and this version. */
  keyVersion?: string;
}

export interface KeyVersion {
  version: string;
  kty: string;
  keyOps: string[];
  /** Public JWK members only (n/e or crv/x/y), base64url. */
  publicJwk: Json;
  /** PKCS#8 PEM; absent for public-only imports. Never returned over the wire. */
  privatePem?: string;
  keySize?: number;
  crv?: string;
  tags?: Tags;
  attributes: Attributes;
  exportable?: boolean;
  managed?: boolean;
}

export interface CertVersion {
  version: string;
  /** Base64 DER certificates; the first is the leaf. */
  certs: string[];
  x5t: string;
  contentType: string;
  tags?: Tags;
  attributes: Attributes;
  preserveCertOrder?: boolean;
}

export interface Item<V> {
  /** The name as first written (Key Vault names are case-insensitive; maps are keyed by lower case). */
  name: string;
  /** In creation order; the last one is the current version. */
  versions: V[];
}

export interface CertOperation {
  requestId: string;
  status: "inProgress" | "completed" | "failed" | "cancelled";
  issuerName: string;
  cancellationRequested: boolean;
  statusDetails?: string;
}

export interface Deleted<V> {
  item: Item<V>;
  deletedDate: number;
  scheduledPurgeDate: number;
  /** A deleted certificate keeps its backing secret and key, policy and operation, for recovery. */
  companions?: {
    secret?: Item<SecretVersion>;
    key?: Item<KeyVersion>;
    policy?: Json;
    operation?: CertOperation;
  };
}

export interface VaultData {
  secrets: Map<string, Item<SecretVersion>>;
  keys: Map<string, Item<KeyVersion>>;
  certificates: Map<string, Item<CertVersion>>;
  /** Certificate policies in wire form (snake_case), without `id`. */
  policies: Map<string, Json>;
  operations: Map<string, CertOperation>;
  deletedSecrets: Map<string, Deleted<SecretVersion>>;
  deletedKeys: Map<string, Deleted<KeyVersion>>;
  deletedCertificates: Map<string, Deleted<CertVersion>>;
}

const MAP_FIELDS = [
  "secrets",
  "keys",
  "certificates",
  "policies",
  "operations",
  "deletedSecrets",
  "deletedKeys",
  "deletedCertificates",
] as const;

export function emptyVault(): VaultData {
  return {
    secrets: new Map(),
    keys: new Map(),
    certificates: new Map(),
    policies: new Map(),
    operations: new Map(),
    deletedSecrets: new Map(),
    deletedKeys: new Map(),
    deletedCertificates: new Map(),
  };
}

export function serializeVault(v: VaultData): Json {
  const out: Json = {};
  for (const f of MAP_FIELDS) out[f] = Object.fromEntries(v[f] as Map<string, unknown>);
  return out;
}

export function deserializeVault(j: unknown): VaultData {
  const v = emptyVault();
  if (!j || typeof j !== "object") return v;
  const o = j as Record<string, unknown>;
  for (const f of MAP_FIELDS) {
    const entries = o[f];
    if (entries && typeof entries === "object") {
      const m = v[f] as Map<string, unknown>;
      for (const [k, val] of Object.entries(entries)) m.set(k, val);
    }
  }
  return v;
}

/** A Key Vault object version id: 32 lowercase hex characters. */
export function newVersion(): string {
  return randomBytes(16).toString("hex");
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export const RECOVERABLE_DAYS = 90;
export const RECOVERY_LEVEL = "Recoverable+Purgeable";
