// Signals: "object X in vault V has (maybe) a new version", whatever the entry point.

/** Key Vault object families, as Event Grid names them. */
export type VaultObjectType = "secret" | "certificate" | "key";

/** Where a rotation signal came from. */
export type SignalSource = "eventgrid" | "cloudevents" | "http" | "cli" | "timer";

/** Which Key Vault object a signal is about. */
export interface ObjectRef {
  /** Vault name, lower-cased (e.g. "contoso-prod"). */
  vault: string;
  objectType: VaultObjectType;
  objectName: string;
}

/** A normalized rotation signal. */
export interface RotationSignal extends ObjectRef {
  /** Version named by the event, if any. Informational only: content is always read fresh from Key Vault. */
  version?: string;
  /** When the source says the version was created (ISO 8601); receipt time when unknown. */
  eventTime: string;
  source: SignalSource;
  /** Event id for correlation / logs (Event Grid id or CloudEvents id). */
  eventId?: string;
}
