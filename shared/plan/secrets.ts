// Synced Secrets: which ones lag behind the objects' latest versions, and — once the pipeline has found proof that
// the driver already synced each of them — the merge patches that move them (trust: README "Security").
import {
  fileName,
  isAvailable,
  isPinned,
  nsName,
  objectVersionLabel,
  shortVersion,
  spcpsId,
  type Action,
  type ClusterInventory,
  type ObjectVersion,
  type PatchSecret,
  type Skip,
  type SpcObject,
} from "../model/index.js";
import { skip, spcMatches, type PlanContext, type PlannedObject } from "./context.js";
import { spcpsOf } from "./mounts.js";

/** One (synced Secret, SPC object) pair: the keys the object feeds, what they hold, what they should hold. */
export interface SecretTarget {
  /** Unique per Secret and SPC object. */
  id: string;
  namespace: string;
  secret: string;
  spc: string;
  secretType: string;
  vault: string;
  spcObject: SpcObject;
  keys: string[];
  /** base64 values the keys hold now (absent key: undefined). */
  current: Record<string, string | undefined>;
  latest: { version: string; values: Record<string, string> };
  /** Versions the pods mounting the SPC report for this object (SPCPS): where to look first for proof. */
  hints: string[];
  resourceVersion: string;
  annotations: Record<string, string>;
  /** Already decided proof (version history: the versions read to render the files are the candidates). */
  proof?: Proof;
}

export interface SecretsAnalysis {
  /** Keys differ from the latest rendering: a patch, if proof is found. */
  behind: SecretTarget[];
  /** Already hold the latest rendering. */
  current: SecretTarget[];
  skips: Skip[];
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** Rendering memo for one analysis: each (object variant, version) is rendered once however many Secrets it feeds. */
export function renderValues(
  ctx: Pick<PlanContext, "render">,
  obj: SpcObject,
  data: Parameters<PlanContext["render"]["file"]>[1],
  secretType: string,
  keys: string[],
): Record<string, string> {
  const file = ctx.render.file(obj, data);
  return Object.fromEntries(keys.map((k) => [k, b64(ctx.render.secretValue(secretType, k, file))]));
}

/** Versions the SPC's pods hold of one object (other than `latest`), the most common first. */
function podVersions(inv: ClusterInventory, namespace: string, spc: string, id: string, latest: string): string[] {
  const n = new Map<string, number>();
  for (const p of spcpsOf(inv.spcps, { namespace, name: spc })) {
    const v = p.versions[id];
    if (v && v !== latest) n.set(v, (n.get(v) ?? 0) + 1);
  }
  return [...n].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([v]) => v);
}

/**
 * objectVersionHistory > 1: each entry names a versioned file `<file>/<i>`; its value is the rendering of the version
 * the provider mounts there. Every selected version's rendering of a key is a proof candidate (after a rotation, the
 * Secret holds the previous selection, which the new one overlaps).
 */
function historyValues(
  ctx: Pick<PlanContext, "render">,
  obj: SpcObject,
  state: PlannedObject["state"],
  secretType: string,
  entries: { objectName: string; key: string }[],
): { values: Record<string, string>; candidates: Record<string, Set<string>>; versions: string[] } {
  const h = state.history?.[obj.objectType];
  if (!h) throw new Error(`objectVersionHistory ${obj.objectVersionHistory}: the versions were not listed`);
  const selected = ctx.render.history(obj, h.listing);
  const render = (fileName: string, version: string) => {
    const read = h.versions.get(version);
    if (!isAvailable(read)) throw new Error(`version ${shortVersion(version)} of ${obj.objectName} could not be read`);
    return ctx.render.file({ ...obj, objectAlias: fileName, objectVersion: version }, read.data);
  };
  const files = new Map(selected.map((s) => [s.fileName, render(s.fileName, s.version)]));
  const values: Record<string, string> = {};
  const candidates: Record<string, Set<string>> = {};
  for (const d of entries) {
    const file = files.get(d.objectName);
    // The driver fails the sync of this secretObject the same way ("file matching objectName … not found").
    if (!file) throw new Error(`file ${d.objectName} is not among the ${selected.length} versioned files the provider mounts`);
    values[d.key] = b64(ctx.render.secretValue(secretType, d.key, file));
    candidates[d.key] = new Set([...files.values()].map((f) => b64(ctx.render.secretValue(secretType, d.key, f))));
  }
  return { values, candidates, versions: selected.map((s) => s.version) };
}

/** Pure: every synced Secret fed by the objects, split into behind / current / skipped (with the reason). */
export function analyzeSecrets(objects: PlannedObject[], inv: ClusterInventory, ctx: PlanContext): SecretsAnalysis {
  const out: SecretsAnalysis = { behind: [], current: [], skips: [] };
  const { matches } = spcMatches(inv.spcs, objects, ctx);
  for (const { spc, object, spcObject: obj } of matches) {
    const file = fileName(obj);
    const history = (obj.objectVersionHistory ?? 0) > 1;
    const fed = spc.secretObjects
      .map((so) => ({ so, entries: so.data.filter((d) => d.objectName === file || (history && d.objectName.startsWith(`${file}/`))) }))
      .filter((x) => x.entries.length > 0);
    if (fed.length === 0) continue;
    const objLabel = `SecretProviderClass ${nsName(spc.namespace, spc.name)} object ${obj.objectType}/${obj.objectName}`;
    if (isPinned(obj)) {
      out.skips.push(
        skip(objLabel, "pinned-version", `pinned to objectVersion ${obj.objectVersion}; a new version does not apply`, spc.namespace),
      );
      continue;
    }
    const read = object.state.byType[obj.objectType];
    if (!isAvailable(read)) {
      out.skips.push(skip(objLabel, read?.unavailable ?? "object-unusable", read?.detail ?? "not read from Key Vault", spc.namespace));
      continue;
    }
    const hints = podVersions(inv, spc.namespace, spc.name, spcpsId(obj), read.data.version);
    for (const { so, entries } of fed) {
      const sLabel = `Secret ${nsName(spc.namespace, so.secretName)}`;
      if (!so.secretName || !so.type) {
        out.skips.push(
          skip(
            sLabel,
            "secret-object-invalid",
            "secretObjects entry needs secretName, type and data (the driver ignores it too)",
            spc.namespace,
          ),
        );
        continue;
      }
      const current = inv.secrets.get(nsName(spc.namespace, so.secretName));
      if (!current) {
        out.skips.push(
          skip(sLabel, "secret-not-synced", "Secret does not exist yet; the driver creates it when a pod mounts the class", spc.namespace),
        );
        continue;
      }
      const keys = [...new Set(entries.map((d) => d.key))].sort();
      let values: Record<string, string>;
      let proof: Proof | undefined;
      try {
        if (history) {
          const h = historyValues(ctx, obj, object.state, so.type, entries);
          values = h.values;
          proof = keys.every((k) => !!current.data[k] && h.candidates[k]!.has(current.data[k]!))
            ? { proven: shortVersion(h.versions[1] ?? h.versions[0] ?? "") }
            : { unproven: `keys hold none of the renderings of the ${h.versions.length} version(s) the history mounts` };
        } else values = renderValues(ctx, obj, read.data, so.type, keys);
      } catch (e) {
        out.skips.push(skip(sLabel, "render-failed", (e as Error).message, spc.namespace));
        continue;
      }
      const target: SecretTarget = {
        id: `${nsName(spc.namespace, so.secretName)}|${spc.name}|${obj.objectType}/${file}`,
        namespace: spc.namespace,
        secret: so.secretName,
        spc: spc.name,
        secretType: so.type,
        vault: spc.keyvaultName,
        spcObject: obj,
        keys,
        current: Object.fromEntries(keys.map((k) => [k, current.data[k]])),
        latest: { version: read.data.version, values },
        hints,
        resourceVersion: current.resourceVersion,
        annotations: current.annotations,
        ...(proof ? { proof } : {}),
      };
      if (keys.every((k) => current.data[k] === values[k])) {
        out.current.push(target);
        out.skips.push(skip(sLabel, "up-to-date", `keys already hold ${obj.objectName}@${shortVersion(read.data.version)}`, spc.namespace));
      } else out.behind.push(target);
    }
  }
  return out;
}

/**
 * Proof found for a target (the version its keys hold; `newer` when that version is newer than the one this
 * invocation read, which then must not move the Secret back), or why there is none.
 */
export type Proof = { proven: string; newer?: boolean } | { unproven: string };

/** A Secret fed by the objects that holds (or will hold) their new versions: what env consumers restart for. */
export interface HeldSecret {
  namespace: string;
  name: string;
  spcs: Set<string>;
  annotations: Record<string, string>;
  /** Written by this plan (not only already current). */
  patched: boolean;
  objects: ObjectVersion[];
}

const versionOf = (t: SecretTarget): ObjectVersion => ({ vault: t.vault, objectName: t.spcObject.objectName, version: t.latest.version });

function held(map: Map<string, HeldSecret>, t: SecretTarget, patched: boolean): void {
  const k = nsName(t.namespace, t.secret);
  const h = map.get(k) ?? {
    namespace: t.namespace,
    name: t.secret,
    spcs: new Set(),
    annotations: t.annotations,
    patched: false,
    objects: [],
  };
  h.spcs.add(t.spc);
  h.patched ||= patched;
  const v = versionOf(t);
  if (!h.objects.some((o) => o.vault === v.vault && o.objectName === v.objectName)) h.objects.push(v);
  map.set(k, h);
}

/**
 * Pure: one merge patch per Secret for the proven targets (several objects feeding one Secret land together, so it
 * never shows some keys new and some old); a `no-proof` skip for the rest. `digest` (keyed) labels the written values.
 */
export function planSecrets(
  a: SecretsAnalysis,
  proofs: ReadonlyMap<string, Proof>,
  digest?: (data: Record<string, string>) => string,
): { actions: Action[]; held: Map<string, HeldSecret>; refused: { namespace: string; name: string }[] } {
  const actions: Action[] = [...a.skips];
  const refused = new Map<string, { namespace: string; name: string }>();
  const heldSecrets = new Map<string, HeldSecret>();
  for (const t of a.current) held(heldSecrets, t, false);
  const patches = new Map<string, PatchSecret>();
  for (const t of a.behind) {
    const proof = t.proof ?? proofs.get(t.id) ?? { unproven: "no proof was looked for" };
    const sLabel = `Secret ${nsName(t.namespace, t.secret)}`;
    if ("unproven" in proof) {
      actions.push(skip(sLabel, "no-proof", proof.unproven, t.namespace));
      refused.set(nsName(t.namespace, t.secret), { namespace: t.namespace, name: t.secret });
      continue;
    }
    if (proof.newer) {
      actions.push(
        skip(sLabel, "up-to-date", `keys hold ${t.spcObject.objectName}@${shortVersion(proof.proven)}, newer than this read`, t.namespace),
      );
      continue;
    }
    const k = nsName(t.namespace, t.secret);
    const p: PatchSecret = patches.get(k) ?? {
      type: "patchSecret",
      namespace: t.namespace,
      name: t.secret,
      data: {},
      keys: [],
      objects: [],
      provenFrom: [],
      reason: { code: "secret-behind", detail: "" },
      ...(t.resourceVersion ? { resourceVersion: t.resourceVersion } : {}),
      expected: {},
    };
    for (const key of t.keys)
      if (t.current[key] !== t.latest.values[key]) {
        p.data[key] = t.latest.values[key]!;
        p.expected[key] = t.current[key];
        if (!p.keys.includes(key)) p.keys.push(key);
      }
    p.objects.push(versionOf(t));
    p.provenFrom.push({ ...versionOf(t), version: proof.proven });
    patches.set(k, p);
    held(heldSecrets, t, true);
  }
  for (const p of patches.values()) {
    p.keys.sort();
    const moves = p.objects.map((o, i) => `${objectVersionLabel(p.provenFrom[i]!)} → ${shortVersion(o.version)}`);
    p.reason = { code: "secret-behind", detail: `keys ${p.keys.join(", ")} move ${moves.join(", ")} (the driver's sync, proven)` };
    if (digest) p.digest = digest(p.data);
    actions.push(p);
  }
  return { actions, held: heldSecrets, refused: [...refused.values()] };
}

/** Proof rule: every key the object feeds holds exactly this candidate's rendering, and none is empty (anyone can write ""). */
export function holdsRendering(t: Pick<SecretTarget, "keys" | "current">, candidate: Record<string, string>): boolean {
  return t.keys.every((k) => !!t.current[k] && t.current[k] === candidate[k]);
}

/** Why a target can never be proven (an empty or missing key proves nothing), or null. */
export function unprovable(t: Pick<SecretTarget, "keys" | "current">): string | null {
  const empty = t.keys.filter((k) => !t.current[k]);
  return empty.length ? `key(s) ${empty.join(", ")} are empty or missing: that proves nothing about who wrote the Secret` : null;
}
