// SecretSync API objects → the model. Pure; the only place that knows their raw shape (api/v1alpha1 of
// kubernetes-sigs/secrets-store-sync-controller).
import type { SecretSyncState, SyncCondition } from "../model/index.js";

export interface RawSecretSync {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; generation?: number };
  spec?: {
    secretProviderClassName?: string;
    serviceAccountName?: string;
    forceSynchronization?: string;
    secretObject?: { type?: string; data?: { sourcePath?: string; targetKey?: string }[] };
  };
  status?: {
    syncHash?: string;
    lastSuccessfulSyncTime?: string;
    conditions?: { type?: string; status?: string; reason?: string; lastTransitionTime?: string }[];
  };
}

export function toSecretSync(raw: RawSecretSync): SecretSyncState {
  const at = raw.status?.lastSuccessfulSyncTime ? new Date(raw.status.lastSuccessfulSyncTime) : undefined;
  const conditions: SyncCondition[] = (raw.status?.conditions ?? []).map((c) => ({
    type: c.type ?? "",
    status: c.status ?? "",
    reason: c.reason ?? "",
    ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}),
  }));
  return {
    namespace: raw.metadata?.namespace ?? "",
    name: raw.metadata?.name ?? "",
    spcName: raw.spec?.secretProviderClassName ?? "",
    serviceAccountName: raw.spec?.serviceAccountName ?? "",
    // The CRD defaults an absent type to Opaque.
    secretType: raw.spec?.secretObject?.type || "Opaque",
    // The controller trims both sides (secretutil.BuildKubeSecretData).
    data: (raw.spec?.secretObject?.data ?? []).map((d) => ({
      sourcePath: (d.sourcePath ?? "").trim(),
      targetKey: (d.targetKey ?? "").trim(),
    })),
    forceSynchronization: raw.spec?.forceSynchronization ?? "",
    resourceVersion: raw.metadata?.resourceVersion ?? "",
    ...(raw.metadata?.generation !== undefined ? { generation: raw.metadata.generation } : {}),
    ...(at && Number.isFinite(at.getTime()) ? { lastSuccessfulSyncTime: at } : {}),
    ...(raw.status?.syncHash ? { syncHash: raw.status.syncHash } : {}),
    conditions,
  };
}
