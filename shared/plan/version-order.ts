// Whether a version something holds (a pod template's annotation, a Secret's proven content) is older than the
// version this invocation read as latest. Key Vault creation times order versions; they have one-second resolution,
// so equal times decide nothing: the pipeline then re-reads the latest version (unchanged → ours is the newer one).
import type { ObjectVersion } from "../model/index.js";

/** `older`: ours may replace it; `newer`/`same`: never replace it; `unknown`: the pipeline must find out first. */
export type VersionOrder = "older" | "same" | "newer" | "unknown";

/** Orders by creation times (ms); `tieBreak` is the answer for equal times once the pipeline confirmed (or not) that ours is still the latest. */
export function compareCreated(
  held: { version: string; created?: number | undefined },
  ours: { version: string; created?: number | undefined },
  tieBreak?: "ours-latest" | "ours-stale",
): VersionOrder {
  if (held.version === ours.version) return "same";
  if (held.created === undefined || ours.created === undefined) return "unknown";
  if (held.created < ours.created) return "older";
  if (held.created > ours.created) return "newer";
  return tieBreak === "ours-latest" ? "older" : tieBreak === "ours-stale" ? "newer" : "unknown";
}

/** How the plan asks for an order: `ours` is the version read now, `held` the one found on the object. */
export type OrderOf = (ours: ObjectVersion, held: string) => VersionOrder;

/** The version in a template annotation value `<vault>/<object>@<version>` (empty when malformed). */
export function annotatedVersion(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const at = value.lastIndexOf("@");
  return at >= 0 ? value.slice(at + 1) : "";
}
