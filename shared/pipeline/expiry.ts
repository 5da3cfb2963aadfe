// Expiry, mapped like a rotation: a NearExpiry / Expired event → the in-scope SecretProviderClasses that take the
// object and the workloads that mount them or read their synced Secrets → Warning Events there, and the report. And
// `expiring`: every object in use whose current (or pinned) version expires within a window, read from Key Vault's
// properties listings only (never a value).
import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import { recordEvents } from "../apply/events.js";
import { expiryEvents, expiryUses, type Expiring } from "../expiry/index.js";
import { spcsForSignals } from "../inventory/source.js";
import type { ClusterApi } from "../kube/cluster-api.js";
import { describeError, kubeFailure } from "../kube/errors.js";
import {
  apiVersionOf,
  isPinned,
  WORKLOAD_KINDS,
  type ExpiryNotice,
  type ExpiryReport,
  type ExpiryUse,
  type ProviderObjectType,
  type Spc,
  type Workload,
} from "../model/index.js";
import { inScope } from "../plan/plan.js";
import { VaultProperties } from "../vault/properties.js";
import type { Runtime } from "./runtime.js";

const apiVersion = (kind: string) => {
  const k = WORKLOAD_KINDS.find((x) => x.kind === kind);
  return k ? apiVersionOf(k) : "secrets-store.csi.x-k8s.io/v1";
};

/** The workloads of these namespaces (one list per kind and namespace). */
async function workloadsIn(rt: Runtime, api: ClusterApi, namespaces: Iterable<string>): Promise<Workload[]> {
  const limit = pLimit(rt.config.concurrency);
  return (await Promise.all([...new Set(namespaces)].map((ns) => limit(() => api.listWorkloads(ns))))).flat();
}

function scopeOf(rt: Runtime) {
  return inScope({ policy: rt.config.policy, vaults: rt.config.vaults });
}

function counts(notices: number, expired: number, uses: ExpiryUse[], events: number): ExpiryReport["counts"] {
  return {
    objects: notices,
    expired,
    workloads: new Set(uses.flatMap((u) => u.workloads.map((w) => `${u.cluster}|${w}`))).size,
    spcs: uses.reduce((n, u) => n + u.spcs.length, 0),
    events,
  };
}

/** Warns the users of the objects these expiry events are about (Warning Events), per cluster. */
export async function warnExpiry(
  rt: Runtime,
  notices: ExpiryNotice[],
  opts: { invocationId?: string; now?: Date; dryRun?: boolean } = {},
): Promise<ExpiryReport> {
  const now = opts.now ?? new Date();
  const scope = scopeOf(rt);
  const uses: ExpiryUse[] = [];
  let events = 0;
  const clusters = await Promise.all(
    rt.clusters.map(async (api) => {
      try {
        const matched = await spcsForSignals(rt.spcSource, api, notices);
        const spcs = [...new Set(matched.flat())].filter(scope);
        const workloads = await workloadsIn(
          rt,
          api,
          spcs.map((s) => s.namespace),
        );
        const mine = notices.flatMap((n) => expiryUses(api.name, n, spcs, workloads));
        uses.push(...mine);
        const evs = mine.flatMap((u) => expiryEvents(u, now, apiVersion));
        if (!opts.dryRun) await recordEvents(api, evs, rt.config.concurrency);
        events += evs.length;
        return { cluster: api.name, ok: true };
      } catch (e) {
        const f = kubeFailure(e);
        return { cluster: api.name, ok: false, failure: { kind: f.kind, message: describeError(e) } };
      }
    }),
  );
  return {
    invocationId: opts.invocationId ?? randomUUID(),
    notices,
    clusters,
    uses,
    counts: counts(notices.length, notices.filter((n) => n.expired).length, uses, events),
    retry: clusters.some((c) => !c.ok && c.failure?.kind !== "permanent"),
  };
}

interface Referenced {
  vault: string;
  objectName: string;
  type: ProviderObjectType;
  /** Pinned versions some SPC uses (undefined entry: the current version). */
  versions: Set<string | undefined>;
}

/** What the in-scope SPCs reference: per (vault, provider type, name), the versions they take. */
function referenced(spcs: Spc[], vaults: ReadonlySet<string>): Referenced[] {
  const out = new Map<string, Referenced>();
  for (const spc of spcs) {
    if (spc.provider !== "azure" || !vaults.has(spc.keyvaultName)) continue;
    for (const o of spc.objects) {
      const k = `${spc.keyvaultName}|${o.objectType}|${o.objectName.toLowerCase()}`;
      const r = out.get(k) ?? { vault: spc.keyvaultName, objectName: o.objectName, type: o.objectType, versions: new Set() };
      r.versions.add(isPinned(o) ? o.objectVersion : undefined);
      out.set(k, r);
    }
  }
  return [...out.values()];
}

const VAULT_TYPE = { secret: "secret", key: "key", cert: "certificate" } as const;

/** Objects in use whose version expires before `now + withinMs` (or has expired), with the workloads using them. */
export async function listExpiring(
  rt: Runtime,
  opts: { withinMs: number; now?: Date; clusters?: string[]; invocationId?: string },
): Promise<ExpiryReport & { listings: number }> {
  const now = opts.now ?? new Date();
  const until = now.getTime() + opts.withinMs;
  const props = new VaultProperties(rt.vaults);
  const scope = scopeOf(rt);
  const uses: ExpiryUse[] = [];
  const found = new Map<string, Expiring>();
  const apis = rt.clusters.filter((c) => !opts.clusters?.length || opts.clusters.includes(c.name));
  const clusters = await Promise.all(
    apis.map(async (api) => {
      try {
        const spcs = (await rt.spcSource.list(api)).filter(scope);
        const expiring: Expiring[] = [];
        for (const r of referenced(spcs, new Set(rt.config.vaults.keys()))) {
          const vault = rt.config.vaults.get(r.vault)!;
          for (const v of r.versions) {
            const p =
              v === undefined
                ? (await props.currentOf(vault, r.type)).get(r.objectName.toLowerCase())
                : (await props.versionsOf(vault, r.type, r.objectName)).find((x) => x.version === v);
            if (!p?.expiresOn || p.expiresOn.getTime() > until) continue;
            const e: Expiring = {
              vault: r.vault,
              objectType: VAULT_TYPE[r.type],
              objectName: r.objectName,
              expiresOn: p.expiresOn.toISOString(),
              expired: p.expiresOn.getTime() <= now.getTime(),
              ...(v ? { version: v } : {}),
            };
            expiring.push(e);
            found.set(`${e.vault}|${e.objectName}|${v ?? ""}`, e);
          }
        }
        if (expiring.length === 0) return { cluster: api.name, ok: true };
        const workloads = await workloadsIn(
          rt,
          api,
          spcs.map((s) => s.namespace),
        );
        for (const e of expiring) uses.push(...expiryUses(api.name, e, spcs, workloads));
        return { cluster: api.name, ok: true };
      } catch (e) {
        const f = kubeFailure(e);
        return { cluster: api.name, ok: false, failure: { kind: f.kind, message: describeError(e) } };
      }
    }),
  );
  const notices: ExpiryNotice[] = [...found.values()].map((e) => ({
    vault: e.vault,
    objectType: e.objectType,
    objectName: e.objectName,
    ...(e.version ? { version: e.version } : {}),
    ...(e.expiresOn ? { expiresOn: e.expiresOn } : {}),
    expired: e.expired,
    eventType: "attributes",
    eventTime: now.toISOString(),
    source: "cli",
  }));
  uses.sort(
    (a, b) =>
      (a.expiresOn ?? "").localeCompare(b.expiresOn ?? "") || a.cluster.localeCompare(b.cluster) || a.namespace.localeCompare(b.namespace),
  );
  return {
    invocationId: opts.invocationId ?? randomUUID(),
    notices,
    clusters,
    uses,
    counts: counts(notices.length, notices.filter((n) => n.expired).length, uses, 0),
    retry: clusters.some((c) => !c.ok && c.failure?.kind !== "permanent"),
    listings: props.listings,
  };
}
