// Core vocabulary shared by every stage: signal → inventory → plan → apply → report.

/** Key Vault object families, as Event Grid names them. */
export type VaultObjectType = "secret" | "certificate" | "key";

/** Where a rotation signal came from. */
export type SignalSource = "eventgrid" | "cloudevents" | "http" | "cli" | "timer";

/** A normalized "object X in vault V has (maybe) a new version" signal. */
export interface RotationSignal {
  /** Vault name, lower-cased (e.g. "contoso-prod"). */
  vault: string;
  objectType: VaultObjectType;
  objectName: string;
  /** Version named by the event, if any. Informational only: content is always read fresh from Key Vault. */
  version?: string;
  /** When the source says the version was created (ISO 8601); receipt time when unknown. */
  eventTime: string;
  source: SignalSource;
  /** Event id for correlation / logs (Event Grid id or CloudEvents id). */
  eventId?: string;
}

/** One entry of an SPC's `parameters.objects` array, as the Azure provider reads it. */
export interface SpcObject {
  objectName: string;
  objectAlias?: string;
  objectVersion?: string;
  objectVersionHistory?: number;
  /** provider's objectType: secret | key | cert */
  objectType: "secret" | "key" | "cert";
  objectFormat?: "pem" | "pfx";
  objectEncoding?: "utf-8" | "hex" | "base64";
  filePermission?: string;
}

/** The Key Vault data needed to render one SPC object's file bytes. Read once per object per invocation. */
export type VaultObjectData =
  | {
      kind: "secret";
      name: string;
      version: string;
      value: string;
      contentType?: string;
      /** non-empty when the secret backs a certificate */
      kid?: string;
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

/** An allow-listed vault: the only vaults whose events are acted on. */
export interface VaultConfig {
  /** Vault name, lower-cased. */
  name: string;
  /** ARM resource id `/subscriptions/…/resourceGroups/…/providers/Microsoft.KeyVault/vaults/<name>`; compared case-insensitively. */
  resourceId: string;
  /** Data-plane URL, e.g. `https://<name>.vault.azure.net` (an emulator URL in tests). */
  url: string;
  /**
   * Namespaces whose SecretProviderClasses may name this vault: names or globs (`team-a-*`; `*` = any run of
   * characters), deduplicated, never empty. Absent = every namespace. Match with `namespaceMatchesGlob`.
   */
  namespaces?: string[];
}
