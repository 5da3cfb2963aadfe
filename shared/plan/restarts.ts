// Restarts: workloads that read a Secret holding the new version (as env, or opted in by annotation — Reloader's
// rules included), or that mount a class the driver cannot refresh, roll out once per version: the pod-template
// annotation records `vault/object@version`, so the same version never rolls twice.
import { RELOADER, RESTART, csv, templateKey, templateValue, truthy } from "../lib/annotations.js";
import {
  isAvailable,
  isPinned,
  matchingObjects,
  nsName,
  objectVersionLabel,
  workloadKind,
  type Action,
  type ClusterInventory,
  type ObjectVersion,
  type Reason,
  type RestartCode,
  type Spc,
  type Workload,
} from "../model/index.js";
import { skip, type PlanContext, type PlannedObject } from "./context.js";
import type { HeldSecret } from "./secrets.js";
import { annotatedVersion, type OrderOf } from "./version-order.js";

interface Why {
  reasons: Reason<RestartCode>[];
  /** Objects whose versions the template should record. */
  objects: ObjectVersion[];
  /** Some Secret it reads was written now. */
  patched: boolean;
  mount: boolean;
  optOut?: string;
}

const addObject = (list: ObjectVersion[], o: ObjectVersion) => {
  if (!list.some((x) => x.vault === o.vault && x.objectName === o.objectName)) list.push(o);
};

/** The objects (latest versions) an SPC takes from the plan's objects. */
function spcObjects(spc: Spc, objects: PlannedObject[]): ObjectVersion[] {
  const out: ObjectVersion[] = [];
  for (const o of objects)
    for (const so of matchingObjects(spc, o.signal)) {
      const read = o.state.byType[so.objectType];
      if (!isPinned(so) && isAvailable(read))
        addObject(out, { vault: o.signal.vault, objectName: o.signal.objectName, version: read.data.version });
    }
  return out;
}

/** Why (and whether) a workload must restart for the held Secrets / unrefreshable mounts — Reloader's rules included. */
export function restartWhy(
  w: Workload,
  secrets: Iterable<HeldSecret>,
  mounts: Iterable<Spc>,
  objects: PlannedObject[],
  ctx: Pick<PlanContext, "policy">,
): Why | null {
  const a = { ...w.annotations, ...w.templateAnnotations };
  const policy = ctx.policy.restart;
  const why: Why = { reasons: [], objects: [], patched: false, mount: false };
  for (const s of secrets) {
    if (s.namespace !== w.namespace || truthy(s.annotations[RELOADER.ignore])) continue;
    const spcs = [...s.spcs];
    if (csv(a[RELOADER.secretExclude]).includes(s.name) || spcs.some((spc) => csv(a[RELOADER.spcExclude]).includes(spc))) continue;
    const env = w.envSecrets.has(s.name);
    const mountsSpc = spcs.some((spc) => w.spcVolumes.has(spc));
    const uses = env || w.volumeSecrets.has(s.name) || mountsSpc;
    const named = csv(a[RELOADER.secretReload]).includes(s.name) || spcs.some((spc) => csv(a[RELOADER.spcReload]).includes(spc));
    const auto =
      ((truthy(a[RELOADER.auto]) || truthy(a[RELOADER.secretAuto])) && (env || w.volumeSecrets.has(s.name))) ||
      (truthy(a[RELOADER.spcAuto]) && mountsSpc) ||
      (truthy(a[RELOADER.search]) && truthy(s.annotations[RELOADER.match]) && uses) ||
      (truthy(a[RESTART]) && uses);
    const wants = policy === "env" ? env || named || auto : policy === "annotated" ? named || auto : false;
    if (!wants) continue;
    why.reasons.push(
      env
        ? { code: "env-consumer", detail: `reads Secret ${s.name} as env` }
        : named
          ? { code: "reload-annotation", detail: `names ${s.name} in a reload annotation` }
          : { code: "opted-in", detail: `opted in (annotation) and uses ${s.name}` },
    );
    for (const o of s.objects) addObject(why.objects, o);
    if (s.patched) why.patched = true;
  }
  for (const spc of mounts)
    if (spc.namespace === w.namespace && w.spcVolumes.has(spc.name)) {
      why.reasons.push({
        code: "mount-not-refreshable",
        detail: `mounts SecretProviderClass ${spc.name} and the driver cannot refresh it (KVRP_MOUNT_REFRESH=restart)`,
      });
      for (const o of spcObjects(spc, objects)) addObject(why.objects, o);
      why.mount = true;
    }
  if (why.reasons.length === 0) return null;
  const optedOut = a[RESTART]?.trim().toLowerCase() === "false" || a[RELOADER.auto]?.trim().toLowerCase() === "false";
  if (optedOut) why.optOut = `opted out (${RESTART}=false or ${RELOADER.auto}=false)`;
  return why;
}

function groupBy<T>(items: Iterable<T>, key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const list = m.get(key(t));
    if (list) list.push(t);
    else m.set(key(t), [t]);
  }
  return m;
}

/** A version found on an object that the order could not place against the one read now (yet). */
export interface UnorderedVersion {
  ours: ObjectVersion;
  held: string;
}

/** Which of the objects a template must move to (held older or absent), which it holds newer, which are undecided. */
function templateBehind(w: Workload, objects: ObjectVersion[], order: OrderOf | undefined) {
  const out = { behind: [] as ObjectVersion[], newer: [] as ObjectVersion[], unordered: [] as UnorderedVersion[] };
  for (const o of objects) {
    const cur = w.templateAnnotations[templateKey(o.vault, o.objectName)];
    if (cur === templateValue(o.vault, o.objectName, o.version)) continue;
    // Another value of ours for the same object: never replace a newer version's annotation with an older one.
    if (cur !== undefined && order && cur.startsWith(`${o.vault}/${o.objectName}@`)) {
      const held = annotatedVersion(cur)!;
      const ord = order(o, held);
      if (ord === "newer" || ord === "same") {
        out.newer.push({ ...o, version: held });
        continue;
      }
      if (ord === "unknown") {
        out.unordered.push({ ours: o, held });
        continue;
      }
    }
    out.behind.push(o);
  }
  return out;
}

/**
 * Pure: one restart per workload, annotating every object it takes a new version of. Runs after the Secrets stage so
 * that only Secrets that really hold the new version (patched now, or already current) restart anything. With
 * `order`, a template already holding a newer version of an object keeps it; a workload whose template holds a
 * version the order cannot place yet gets no action, and that version is returned in `unordered` for the pipeline to
 * look up before planning again.
 */
export function restartPlan(
  objects: PlannedObject[],
  inv: Pick<ClusterInventory, "workloads">,
  held: ReadonlyMap<string, HeldSecret>,
  unrefreshable: ReadonlyMap<string, Spc>,
  ctx: PlanContext,
  order?: OrderOf,
): { actions: Action[]; unordered: UnorderedVersion[] } {
  const actions: Action[] = [];
  const unordered: UnorderedVersion[] = [];
  // By namespace: a workload only ever reads its own namespace's Secrets and classes (never workloads × Secrets).
  const heldIn = groupBy(held.values(), (s) => s.namespace);
  const mountsIn = groupBy(unrefreshable.values(), (s) => s.namespace);
  for (const w of inv.workloads) {
    if (!heldIn.has(w.namespace) && !mountsIn.has(w.namespace)) continue;
    const label = `${w.kind} ${nsName(w.namespace, w.name)}`;
    const why = restartWhy(w, heldIn.get(w.namespace) ?? [], mountsIn.get(w.namespace) ?? [], objects, ctx);
    if (!why || why.objects.length === 0) continue;
    if (why.optOut) {
      actions.push(skip(label, "opt-out", why.optOut, w.namespace));
      continue;
    }
    const t = templateBehind(w, why.objects, order);
    if (t.unordered.length) {
      unordered.push(...t.unordered);
      continue;
    }
    const behind = t.behind;
    if (behind.length === 0) {
      const detail = t.newer.length
        ? `pod template already carries ${t.newer.map(objectVersionLabel).join(", ")}, newer than this read`
        : `pod template already carries ${why.objects.map(objectVersionLabel).join(", ")}`;
      actions.push(skip(label, "already-restarted", detail, w.namespace));
      continue;
    }
    // The timer restarts only what it found behind: a Secret patched now, an unrefreshable mount, or a template that
    // records an older version (never a workload that no push ever restarted).
    if (
      ctx.trigger === "drift" &&
      !why.patched &&
      !why.mount &&
      !behind.some((o) => w.templateAnnotations[templateKey(o.vault, o.objectName)] !== undefined)
    )
      continue;
    if (w.paused) {
      actions.push(skip(label, "paused", workloadKind(w.kind).pausedHint, w.namespace));
      continue;
    }
    actions.push({
      type: "restartWorkload",
      namespace: w.namespace,
      kind: w.kind,
      name: w.name,
      annotations: Object.fromEntries(
        behind.map((o) => [templateKey(o.vault, o.objectName), templateValue(o.vault, o.objectName, o.version)]),
      ),
      reason: { code: why.reasons[0]!.code, detail: why.reasons.map((r) => r.detail).join("; ") },
      ...(w.resourceVersion ? { resourceVersion: w.resourceVersion } : {}),
      expected: Object.fromEntries(
        behind.map((o) => [templateKey(o.vault, o.objectName), w.templateAnnotations[templateKey(o.vault, o.objectName)]]),
      ),
    });
  }
  return { actions, unordered };
}

/** `restartPlan` without version ordering: any other value of ours is replaced (dry runs of one pass, unit tests). */
export function planRestarts(
  objects: PlannedObject[],
  inv: Pick<ClusterInventory, "workloads">,
  held: ReadonlyMap<string, HeldSecret>,
  unrefreshable: ReadonlyMap<string, Spc>,
  ctx: PlanContext,
): Action[] {
  return restartPlan(objects, inv, held, unrefreshable, ctx).actions;
}
