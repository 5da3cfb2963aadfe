// SecretSync targets: which SecretSyncs take the objects being pushed, whether the Secret each manages already holds
// the latest versions, and — where it does not — the nudge that makes the sync controller re-fetch now instead of at
// its next poll. Nothing here writes Secret data: the controller stays the only writer of those Secrets.
//
// "Holds the latest" = its keys hold the rendering of the latest version (the provider's file bytes through the
// key rules the driver and the controller share) AND the controller's last successful sync is not older than that
// version (the timer's drift rule). Only then do env consumers restart: the same trust rule as for synced Secrets.
import { nameDigest } from "../lib/digest.js";
import {
  fileName,
  isAvailable,
  isPinned,
  nsName,
  objectVersionLabel,
  shortVersion,
  syncStatus,
  validForceSync,
  type Action,
  type ClusterInventory,
  type NudgeSecretSync,
  type ObjectVersion,
  type SecretState,
  type SecretSyncState,
  type Skip,
} from "../model/index.js";
import { skip, spcMatches, type PlanContext, type PlannedObject } from "./context.js";
import { nudgeValue } from "./mounts.js";
import { renderValues, type HeldSecret } from "./secrets.js";

/** Prefix of every forceSynchronization value the pusher writes (so a value can be recognised as ours). */
export const FORCE_SYNC_PREFIX = "kvrp-";

/**
 * The forceSynchronization value that asks for these versions: `kvrp-<version>` for one object (readable in
 * `kubectl get secretsync`), else a digest of the sorted `vault/object@version` list. Equal versions → equal value,
 * so a redelivered event changes nothing and the controller is never asked twice for the same versions.
 */
export function forceSyncValue(objects: ObjectVersion[]): string {
  const list = objects.map((o) => `${o.vault}/${o.objectName}@${o.version}`).sort();
  const one = objects.length === 1 ? `${FORCE_SYNC_PREFIX}${objects[0]!.version}` : "";
  return one && validForceSync(one) ? one : `${FORCE_SYNC_PREFIX}${nameDigest(list.join(","), 32)}`;
}

/** Whether a value is one the pusher derived for these versions (the event's value or a drift window's). */
export function isOurNudge(current: string, base: string): boolean {
  return current === base || current.startsWith(`${base}.`);
}

/** One object a SecretSync takes from the push: what it should hold and whether it does. */
interface Taken {
  version: ObjectVersion;
  created?: Date;
  /** The Secret's keys hold the latest rendering; undefined when it cannot be rendered (the status decides). */
  holds?: boolean;
}

export interface SecretSyncPlan {
  actions: Action[];
  /** Managed Secrets that hold the new versions (what env consumers restart for). */
  held: Map<string, HeldSecret>;
  /** `vault|object` found behind (drift accounting). */
  behind: Set<string>;
}

type Matches = Map<string, ReturnType<typeof spcMatches>["matches"]>;

const iso = (d: Date | undefined) => (d ? d.toISOString() : "never");
/**
 * lastSuccessfulSyncTime is a metav1.Time (RFC 3339, whole seconds): a sync in the same second as the version's
 * creation counts as after it. The byte comparison still guards the restart (a fetch just before sees other bytes).
 */
const wholeSeconds = (d: Date) => Math.floor(d.getTime() / 1000) * 1000;

/** The objects of the push a SecretSync takes (through its class), with the skips of those it cannot take. */
function taken(ss: SecretSyncState, secret: SecretState | null | undefined, matches: Matches, ctx: PlanContext) {
  const out: Taken[] = [];
  const skips: Skip[] = [];
  const label = `SecretSync ${nsName(ss.namespace, ss.name)}`;
  for (const { object, spcObject: obj } of matches.get(nsName(ss.namespace, ss.spcName)) ?? []) {
    const file = fileName(obj);
    const history = (obj.objectVersionHistory ?? 0) > 1;
    const entries = ss.data.filter((d) => d.sourcePath === file || (history && d.sourcePath.startsWith(`${file}/`)));
    if (entries.length === 0) continue;
    if (isPinned(obj)) {
      skips.push(
        skip(
          label,
          "pinned-version",
          `${obj.objectName} is pinned to objectVersion ${obj.objectVersion}; a new version does not apply`,
          ss.namespace,
        ),
      );
      continue;
    }
    const read = object.state.byType[obj.objectType];
    if (!isAvailable(read)) {
      skips.push(skip(label, read?.unavailable ?? "object-unusable", read?.detail ?? "not read from Key Vault", ss.namespace));
      continue;
    }
    const version = { vault: object.signal.vault, objectName: obj.objectName, version: read.data.version };
    let holds: boolean | undefined;
    if (!history && secret) {
      try {
        const keys = [...new Set(entries.map((d) => d.targetKey))];
        const values = renderValues(ctx, obj, read.data, ss.secretType, keys);
        holds = keys.every((k) => !!secret.data[k] && secret.data[k] === values[k]);
      } catch {
        holds = undefined; // the controller's own sync decides (and reports) what it can write
      }
    }
    out.push({ version, ...(read.created ? { created: read.created } : {}), ...(holds !== undefined ? { holds } : {}) });
  }
  return { taken: out, skips };
}

/** Pure: nudges for SecretSyncs behind, `held` for those current, skips with reasons for the rest. */
export function planSecretSyncs(objects: PlannedObject[], inv: ClusterInventory, ctx: PlanContext): SecretSyncPlan {
  const plan: SecretSyncPlan = { actions: [], held: new Map(), behind: new Set() };
  if (!inv.secretSyncs?.length) return plan;
  // The in-scope classes' matches, once, by class: every SecretSync of a class shares them.
  const matches: Matches = new Map();
  for (const m of spcMatches(inv.spcs, objects, ctx).matches) {
    const k = nsName(m.spc.namespace, m.spc.name);
    matches.set(k, [...(matches.get(k) ?? []), m]);
  }
  for (const ss of inv.secretSyncs) {
    const key = nsName(ss.namespace, ss.name);
    const label = `SecretSync ${key}`;
    const secret = inv.secrets.get(key);
    const t = taken(ss, secret, matches, ctx);
    plan.actions.push(...t.skips);
    if (t.taken.length === 0) continue;
    const status = syncStatus(ss);
    const synced = ss.lastSuccessfulSyncTime;
    const isCurrent = (o: Taken) =>
      !!secret &&
      o.holds !== false &&
      (!o.created || (!!synced && synced.getTime() >= wholeSeconds(o.created))) &&
      (o.holds === true || status.state !== "failed");
    const behind = t.taken.filter((o) => !isCurrent(o));
    const base = forceSyncValue(t.taken.map((o) => o.version));
    const ours = isOurNudge(ss.forceSynchronization, base);
    if (behind.length === 0) {
      if (!secret) continue; // unreachable: a Secret that does not exist holds nothing
      plan.held.set(key, {
        namespace: ss.namespace,
        name: ss.name,
        // Not mounted through the CSI driver: no class names for the Reloader rules that match classes.
        spcs: new Set(),
        annotations: secret.annotations,
        // The timer restarts for it only after a push asked for these versions (our value is still in the field).
        patched: ours,
        objects: t.taken.map((o) => o.version),
      });
      plan.actions.push(
        skip(
          label,
          "up-to-date",
          `Secret ${ss.name} holds ${t.taken.map((o) => objectVersionLabel(o.version)).join(", ")} (synced ${iso(synced)})`,
          ss.namespace,
        ),
      );
      continue;
    }
    for (const o of behind) plan.behind.add(`${o.version.vault}|${o.version.objectName}`);
    const ageS = Math.min(...behind.map((o) => (o.created ? (ctx.now.getTime() - o.created.getTime()) / 1000 : Infinity)));
    if (ctx.trigger === "drift" && ageS < (ctx.driftGraceSeconds ?? 0)) {
      plan.actions.push(
        skip(label, "within-grace", `${Math.round(ageS)} s behind, within the ${ctx.driftGraceSeconds} s grace period`, ss.namespace),
      );
      continue;
    }
    const value = nudgeValue(base, ctx);
    const wanted = behind.map((o) => objectVersionLabel(o.version)).join(", ");
    if (ss.forceSynchronization === value || (ours && status.state === "failed" && ctx.trigger === "event")) {
      plan.actions.push(
        status.state === "failed"
          ? skip(
              label,
              "sync-failed",
              `the sync controller reports ${status.condition}=${status.reason} for ${wanted}; it retries at its poll${ctx.trigger === "drift" ? "" : ", the timer asks again after the grace period"}`,
              ss.namespace,
            )
          : skip(
              label,
              "sync-pending",
              `asked for ${wanted} (forceSynchronization ${ss.forceSynchronization}); the sync controller has not written Secret ${ss.name} yet`,
              ss.namespace,
            ),
      );
      continue;
    }
    if (!validForceSync(value)) {
      plan.actions.push(skip(label, "secret-object-invalid", `no valid forceSynchronization value for ${wanted}`, ss.namespace));
      continue;
    }
    const nudge: NudgeSecretSync = {
      type: "nudgeSecretSync",
      namespace: ss.namespace,
      name: ss.name,
      value,
      objects: behind.map((o) => o.version),
      reason: {
        code: "sync-behind",
        detail: secret
          ? `Secret ${ss.name} lags ${wanted} (last successful sync ${iso(synced)}${behind.some((o) => o.holds === false) ? ", keys differ" : ""})`
          : `Secret ${ss.name} does not exist yet; asks the sync controller for ${wanted}`,
      },
      ...(ss.resourceVersion ? { resourceVersion: ss.resourceVersion } : {}),
      expected: { forceSynchronization: ss.forceSynchronization },
    };
    plan.actions.push(nudge);
  }
  return plan;
}

/** A short label of the versions a nudge asks for (Events, logs). */
export const nudgeLabel = (n: Pick<NudgeSecretSync, "objects">): string =>
  n.objects.map((o) => `${o.objectName}@${shortVersion(o.version)}`).join(", ");
