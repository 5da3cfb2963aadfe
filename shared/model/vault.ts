// Key Vault as the pipeline sees it: allow-listed vaults and the object data the renderer needs.
import type { ProviderObjectType } from "./spc.js";

/** An allow-listed vault: the only vaults whose events are acted on. */
export interface VaultConfig {
  /** Vault name, lower-cased. */
  name: string;
  /** ARM resource id `/subscriptions/…/resourceGroups/…/providers/Microsoft.KeyVault/vaults/<name>`; compared case-insensitively. */
  resourceId: string;
  /** Data-plane URL, e.g. `https://<name>.vault.azure.net` (an emulator URL in tests). */
  url: string;
  /** Namespaces (names or `*` globs) whose SecretProviderClasses may use this vault; absent = all. */
  namespaces?: string[];
}

/** The Key Vault data needed to render one SPC object's file bytes. */
export type VaultObjectData =
  | {
      kind: "secret";
      name: string;
      version: string;
      value: string;
      contentType?: string;
      /** non-empty when the secret backs a certificate */
      kid?: string;
      /** the secret's id as Key Vault returns it (the provider refuses a secret without one) */
      id?: string;
    }
  | {
      kind: "key";
      name: string;
      version: string;
      /** JSON Web Key (public parts suffice): kty, n/e or crv/x/y */
      jwk: { kty: string; n?: Uint8Array; e?: Uint8Array; crv?: string; x?: Uint8Array; y?: Uint8Array };
    }
  | {
      kind: "cert";
      name: string;
      version: string;
      /** DER bytes of the certificate (Key Vault's `cer`) */
      cer: Uint8Array;
    };

/** Why an object could not be used, when that is a fact about the object rather than a failure of the call. */
export type UnavailableReason = "object-not-found" | "object-disabled" | "object-unusable";

/** One object read: its data (with the version's creation time), or why it is unavailable. */
export type ObjectRead =
  | {
      data: VaultObjectData;
      created?: Date;
      /** false: the version is disabled. Key Vault still serves keys and certificates (and the driver mounts them). */
      enabled?: boolean;
    }
  | { unavailable: UnavailableReason; detail: string };

/** One entry of an object's version listing. */
export interface VersionInfo {
  version: string;
  enabled: boolean;
  createdOn?: Date;
  updatedOn?: Date;
}

/** The versions of an object (objectVersionHistory > 1): the listing and the reads of the versions selected from it. */
export interface ObjectHistory {
  listing: VersionInfo[];
  versions: Map<string, ObjectRead>;
}

/** What Key Vault holds now for one object, per provider endpoint (secret / key / cert). */
export interface ObjectState {
  vault: string;
  objectName: string;
  byType: Partial<Record<ProviderObjectType, ObjectRead>>;
  /** Read only where an SPC mounts the object with objectVersionHistory > 1. */
  history?: Partial<Record<ProviderObjectType, ObjectHistory>>;
}

export function isAvailable(r: ObjectRead | undefined): r is { data: VaultObjectData; created?: Date } {
  return !!r && "data" in r;
}
