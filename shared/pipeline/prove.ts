// Proof before write (README "Security"): a synced Secret is written only when its keys already hold the rendering of
// one of the few newest enabled versions of the same object, as read by the pusher from Key Vault. Only the CSI
// driver, syncing for a workload allowed to read the object, can have put it there. SPCPS versions (tenant-writable on
// some clusters) only say which version to check first; they are never proof.
import pLimit from "p-limit";
import { isAvailable, shortVersion, type VaultConfig, type VersionInfo } from "../model/index.js";
import { holdsRendering, renderValues, unprovable, type Proof, type Renderer, type SecretTarget } from "../plan/plan.js";
import type { VaultReader } from "../vault/reader.js";
import { listed } from "./objects.js";
import { KnownRenderings } from "./known-renderings.js";
import type { Ordering } from "./ordering.js";
import type { VersionAges } from "./version-ages.js";

export interface ProofDeps {
  reader: VaultReader;
  vaults: ReadonlyMap<string, VaultConfig>;
  render: Renderer;
  known: KnownRenderings;
  /** How many newest enabled versions may serve as proof (KVRP_PROOF_VERSIONS). */
  window: number;
  /** Creation times of the versions seen (proofs feed it; ordering reads it). */
  ages: VersionAges;
  /** Orders a proven version against the one read now (a Secret holding a newer version is never moved back). */
  ordering: Ordering;
}

/** Remembers the latest renderings the analysis made (a warm instance then proves the next rotation without reads). */
export function rememberLatest(targets: SecretTarget[], created: (t: SecretTarget) => Date | undefined, known: KnownRenderings): void {
  // Versioned files (objectVersionHistory) hold several versions per Secret: they carry their own proof.
  for (const t of targets.filter((x) => (x.spcObject.objectVersionHistory ?? 0) <= 1)) {
    const v = KnownRenderings.variantKey(t);
    known.remember(v, t.latest.version, created(t), known.valuesDigest(v, t.keys, t.latest.values));
  }
}

/** The proof window: the newest `n` enabled versions, newest first (Key Vault lists versions unordered). */
export function proofWindow(listing: VersionInfo[], n: number): VersionInfo[] {
  return listing
    .filter((v) => v.enabled && v.version)
    .sort((a, b) => (b.createdOn?.getTime() ?? 0) - (a.createdOn?.getTime() ?? 0))
    .slice(0, n);
}

/** Checks candidate versions in order; the first whose rendering the keys hold is the proof. */
async function firstHeld(t: SecretTarget, versions: string[], variant: string, deps: ProofDeps, vault: VaultConfig) {
  const { objectType, objectName } = t.spcObject;
  for (const version of versions) {
    if (version === t.latest.version) continue;
    const read = await deps.reader.readVersion(vault, objectType, objectName, version);
    if (!isAvailable(read)) continue; // disabled or deleted versions prove nothing
    let values: Record<string, string>;
    try {
      values = renderValues(deps, t.spcObject, read.data, t.secretType, t.keys);
    } catch {
      continue; // the provider could not have mounted this version either
    }
    deps.known.remember(variant, version, read.created, deps.known.valuesDigest(variant, t.keys, values));
    deps.ages.note(t.vault, objectName, version, read.created);
    if (holdsRendering(t, values)) return { version, created: read.created?.getTime() };
  }
  return undefined;
}

type Found = { proven: string; created?: number | undefined } | { unproven: string };

/**
 * Where to look, cheapest first: what this instance already rendered (no read), the versions the mounting pods
 * report (one read per distinct version, at most `window` of them: forged SPCPS cannot multiply reads), then the
 * `window` newest enabled versions from the listing.
 */
async function proveOne(t: SecretTarget, deps: ProofDeps): Promise<Found> {
  const why = unprovable(t);
  if (why) return { unproven: why };
  const variant = KnownRenderings.variantKey(t);
  const hit = deps.known.find(variant, deps.known.valuesDigest(variant, t.keys, t.current));
  if (hit) {
    deps.ages.note(t.vault, t.spcObject.objectName, hit.version, hit.created);
    return { proven: hit.version, created: hit.created };
  }

  const vault = deps.vaults.get(t.vault);
  if (!vault) return { unproven: `vault ${t.vault} is not allow-listed` };
  const hints = t.hints.slice(0, deps.window);
  const byHint = await firstHeld(t, hints, variant, deps, vault);
  if (byHint) return { proven: byHint.version, created: byHint.created };
  const window = proofWindow(listed(await deps.reader.listVersions(vault, t.spcObject.objectType, t.spcObject.objectName)), deps.window);
  const rest = window.map((v) => v.version).filter((v) => !hints.includes(v));
  const byWindow = await firstHeld(t, rest, variant, deps, vault);
  if (byWindow) return { proven: byWindow.version, created: byWindow.created };
  return {
    unproven:
      `keys hold none of the versions checked (${[...hints, ...rest].map(shortVersion).join(", ") || "none"}; the ${window.length} newest enabled and the pods' own): ` +
      "only the CSI driver, syncing for a workload allowed to read the object, can prove the Secret; it syncs it on its own",
  };
}

/**
 * Proof (or its absence) for every target that lags behind; Key Vault reads are shared by targets of one object.
 * A proven version newer than the one read now (or not provably older) is marked `newer`: the Secret is not moved.
 */
export async function findProofs(targets: SecretTarget[], deps: ProofDeps, concurrency = 8): Promise<Map<string, Proof>> {
  const limit = pLimit(concurrency);
  const found = new Map<string, Found>();
  // Version-history targets come with their proof decided (the versions read to render the files are the candidates).
  await Promise.all(targets.filter((t) => !t.proof).map((t) => limit(async () => found.set(t.id, await proveOne(t, deps)))));
  const ours = (t: SecretTarget) => ({ vault: t.vault, objectName: t.spcObject.objectName, version: t.latest.version });
  const open = targets.flatMap((t) => {
    const f = found.get(t.id);
    if (!f) return [];
    return "proven" in f && deps.ordering.order(ours(t), f.proven) === "unknown"
      ? [{ ours: ours(t), held: f.proven, type: t.spcObject.objectType }]
      : [];
  });
  if (open.length) await deps.ordering.resolve(open);
  const out = new Map<string, Proof>();
  for (const t of targets) {
    const f = found.get(t.id);
    if (!f) continue;
    if ("unproven" in f) out.set(t.id, f);
    else out.set(t.id, deps.ordering.order(ours(t), f.proven) === "older" ? { proven: f.proven } : { proven: f.proven, newer: true });
  }
  return out;
}
