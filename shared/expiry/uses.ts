// Where an expiring Key Vault object is used, per namespace (pure): the SecretProviderClasses that name it (unpinned,
// or pinned to the version that expires) and the workloads that mount them or read their synced Secrets — and the
// Warning Events that tell them. A namespace's Event names only that namespace's workloads (Events are namespaced,
// and tenants read their own).
import {
  expiryPhrase,
  isPinned,
  matchingObjects,
  objectUsers,
  workloadLabel,
  type ExpiryUse,
  type ObjectRef,
  type Spc,
  type VaultObjectType,
  type Workload,
} from "../model/index.js";

export interface Expiring extends ObjectRef {
  version?: string;
  expiresOn?: string;
  expired: boolean;
}

/** SPC objects that take the expiring version: unpinned ones (they follow the current version) or pinned to it. */
function takes(spc: Spc, e: Expiring): boolean {
  return matchingObjects(spc, e).some((o) => !isPinned(o) || (e.version !== undefined && o.objectVersion === e.version));
}

/** One row per namespace that uses the object: its classes and workloads (workloads may be none: still worth a Warning). */
export function expiryUses(cluster: string, e: Expiring, spcs: Spc[], workloads: Workload[]): ExpiryUse[] {
  const byNs = new Map<string, Spc[]>();
  for (const spc of spcs) if (takes(spc, e)) byNs.set(spc.namespace, [...(byNs.get(spc.namespace) ?? []), spc]);
  const users = objectUsers(
    [...byNs.values()].flat(),
    workloads.filter((w) => byNs.has(w.namespace)),
    e,
    e.version,
  );
  return [...byNs].map(([namespace, list]) => ({
    cluster,
    namespace,
    vault: e.vault,
    objectType: e.objectType,
    objectName: e.objectName,
    ...(e.version ? { version: e.version } : {}),
    ...(e.expiresOn ? { expiresOn: e.expiresOn } : {}),
    expired: e.expired,
    spcs: list.map((s) => s.name).sort(),
    workloads: users
      .filter((u) => u.workload.namespace === namespace)
      .map((u) => workloadLabel(u.workload))
      .sort(),
  }));
}

const KIND: Record<VaultObjectType | "cert", string> = { secret: "Secret", certificate: "Certificate", key: "Key", cert: "Certificate" };

export interface ExpiryEvent {
  namespace: string;
  kind: string;
  apiVersion: string;
  name: string;
  reason: string;
  type: "Warning";
  message: string;
}

/** The sentence both the workloads and the classes get: "secret db-password in kv-prod expires in 12 days (…); used by …". */
export function expiryMessage(u: ExpiryUse, now: Date): string {
  const what = `${u.objectType === "cert" ? "certificate" : u.objectType} ${u.objectName} in ${u.vault}`;
  const by = u.workloads.length
    ? `used by ${u.workloads.join(", ")}`
    : `named by SecretProviderClass ${u.spcs.join(", ")} (no workload mounts it now)`;
  return `${what} ${expiryPhrase(u, now)}; ${by}. Rotate it in Key Vault: kv-rotation-pusher pushes the new version.`;
}

/** Warning Events for one namespace's use: on every workload and every SecretProviderClass that names the object. */
export function expiryEvents(u: ExpiryUse, now: Date, apiVersionOf: (kind: string) => string): ExpiryEvent[] {
  const reason = `${KIND[u.objectType as VaultObjectType]}${u.expired ? "Expired" : "NearExpiry"}`;
  const message = expiryMessage(u, now);
  const targets = [
    ...u.workloads.map((label) => {
      const [kind, ref] = label.split(" ") as [string, string];
      return { kind, name: ref.slice(ref.indexOf("/") + 1) };
    }),
    ...u.spcs.map((name) => ({ kind: "SecretProviderClass", name })),
  ];
  return targets.map((t) => ({
    namespace: u.namespace,
    kind: t.kind,
    apiVersion: apiVersionOf(t.kind),
    name: t.name,
    reason,
    type: "Warning" as const,
    message,
  }));
}
