// What every planning step reads besides the inventory: the objects being pushed, policy, time, and the renderer.
import {
  matchingObjects,
  namespaceInScope,
  nsName,
  vaultBoundTo,
  type ObjectState,
  type Policy,
  type Reason,
  type RotationSignal,
  type Skip,
  type SkipCode,
  type Spc,
  type SpcObject,
  type VaultConfig,
  type VaultObjectData,
  type VersionInfo,
} from "../model/index.js";

/** One object being pushed: the signal and what Key Vault holds for it now (latest, per provider endpoint). */
export interface PlannedObject {
  signal: RotationSignal;
  state: ObjectState;
}

/** The provider's and the driver's byte rules, injected (the render stage is a sibling, wired by the pipeline). */
export interface Renderer {
  /** The mounted file's bytes; throws (with a value-free message) where the provider would fail the mount. */
  file(obj: SpcObject, data: VaultObjectData): Uint8Array;
  /** objectVersionHistory > 1: the versions the provider mounts as `<file>/<i>`, in its order. */
  history(obj: SpcObject, listing: VersionInfo[]): { fileName: string; version: string }[];
  /** The synced Secret's value for one key; throws where the driver would refuse it. */
  secretValue(secretType: string, key: string, file: Uint8Array): Uint8Array;
}

export interface PlanContext {
  policy: Policy;
  /** `event` (Event Grid, HTTP, CLI: a new version exists) or `drift` (timer: act only where state is behind). */
  trigger: "event" | "drift";
  now: Date;
  /** Drift only: mounts behind Key Vault for less than this are left to the driver. */
  driftGraceSeconds?: number;
  /** Allow-listed vaults (their namespace bindings). */
  vaults: ReadonlyMap<string, Pick<VaultConfig, "namespaces">>;
  render: Renderer;
}

export const skip = (target: string, code: SkipCode, detail: string, namespace?: string): Skip => ({
  type: "skip",
  target,
  reason: { code, detail } as Reason<SkipCode>,
  ...(namespace ? { namespace } : {}),
});

export const spcLabel = (spc: Spc) => `SecretProviderClass ${nsName(spc.namespace, spc.name)}`;

/** Why an SPC is out of scope (reported, nothing of it read or written), or null. */
export function outOfScope(spc: Spc, ctx: Pick<PlanContext, "policy" | "vaults">): Skip | null {
  const where = spcLabel(spc);
  if (!namespaceInScope(spc.namespace, ctx.policy))
    return skip(where, "namespace-excluded", "namespace excluded by KVRP_NAMESPACES_INCLUDE/EXCLUDE", spc.namespace);
  const vault = ctx.vaults.get(spc.keyvaultName);
  if (vault && !vaultBoundTo(vault.namespaces, spc.namespace))
    return skip(
      where,
      "vault-not-bound",
      `vault ${spc.keyvaultName} is not bound to namespace ${spc.namespace} (KVRP_VAULTS[].namespaces)`,
      spc.namespace,
    );
  if (spc.objectsError) return skip(where, "spc-invalid", `parameters.objects unreadable: ${spc.objectsError}`, spc.namespace);
  return null;
}

/** Whether an SPC's content may be read and acted on (the inventory reads nothing of the others). */
export const inScope = (ctx: Pick<PlanContext, "policy" | "vaults">) => (spc: Spc) => outOfScope(spc, ctx) === null;

/** The planned objects by (vault, object name), in plan order: an SPC looks up only the objects it names. */
const byName = new WeakMap<PlannedObject[], Map<string, { i: number; o: PlannedObject }[]>>();
function objectIndex(objects: PlannedObject[]) {
  let m = byName.get(objects);
  if (!m) {
    m = new Map();
    objects.forEach((o, i) => {
      const k = `${o.signal.vault.toLowerCase()}|${o.signal.objectName}`;
      m!.set(k, [...(m!.get(k) ?? []), { i, o }]);
    });
    byName.set(objects, m);
  }
  return m;
}

/** The planned objects an SPC may reference (plan order), without scanning every object for every SPC. */
function candidates(spc: Spc, objects: PlannedObject[]): PlannedObject[] {
  const idx = objectIndex(objects);
  const found = new Map<number, PlannedObject>();
  for (const so of spc.objects) for (const c of idx.get(`${spc.keyvaultName}|${so.objectName}`) ?? []) found.set(c.i, c.o);
  return [...found].sort((a, b) => a[0] - b[0]).map(([, o]) => o);
}

/** Each in-scope SPC with the objects of `objects` it references, and the out-of-scope SPCs as skips. */
export function spcMatches(spcs: Spc[], objects: PlannedObject[], ctx: PlanContext) {
  const skips: Skip[] = [];
  const matches: { spc: Spc; object: PlannedObject; spcObject: SpcObject }[] = [];
  const vaults = new Set(objects.map((o) => o.signal.vault));
  for (const spc of spcs) {
    const hits = candidates(spc, objects).flatMap((o) =>
      matchingObjects(spc, o.signal).map((spcObject) => ({ spc, object: o, spcObject })),
    );
    // An SPC whose objects cannot be read may name any of them: reported once when it uses one of the vaults.
    const unreadable = !!spc.objectsError && spc.provider === "azure" && vaults.has(spc.keyvaultName);
    if (hits.length === 0 && !unreadable) continue;
    const out = outOfScope(spc, ctx);
    if (out) skips.push(out);
    else matches.push(...hits);
  }
  return { matches, skips };
}
