// objectVersionHistory > 1: which Key Vault versions the provider mounts as `<name>/0`, `<name>/1`, … and under
// which file names (resolveObjectVersions → getLatestNKeyVaultObjects). Pure; the caller lists the versions and
// reads each selected one.
import type { SpcObject, VaultObjectData } from "../model/index.js";
import { renderFileContent, type RenderOptions } from "./file-content.js";
import { goTrimSpace } from "../lib/go-strings.js";
import { goSortSlice } from "./go-sort.js";

/** One entry of a Key Vault version listing (list…Versions / the SDK's `list…PropertiesOf…Versions`). */
export interface VersionListingEntry {
  /** the version id (last segment of the item's id) */
  version: string;
  /** the item's `attributes`; an item without any is skipped, as the provider's client does */
  attributes?: { enabled?: boolean; created?: Date };
}

export interface HistoryVersion {
  /** the file the provider writes: `<objectAlias or objectName>/<index>` (Go's filepath.Join, so cleaned) */
  fileName: string;
  /** the Key Vault version that file holds ("" for the single-version case without objectVersion) */
  version: string;
  /** the SPCPS object id, `<objectType>/<objectName>/<index>` (or `<objectType>/<objectName>` for one version) */
  objectUid: string;
}

/** Go's path.Clean (filepath.Clean on Linux). */
export function goCleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(part);
  }
  const s = (rooted ? "/" : "") + out.join("/");
  return s === "" ? "." : s;
}

/** Go's filepath.Join: the non-empty elements joined by "/", cleaned. */
export function goJoinPath(...elems: string[]): string {
  const parts = elems.filter((e) => e !== "");
  return parts.length ? goCleanPath(parts.join("/")) : "";
}

/**
 * The versions the provider mounts for `obj`. With objectVersionHistory ≤ 1: the object itself. Otherwise the
 * enabled versions, newest first by creation time (Go's unstable sort.Sort, reproduced for ties; a missing time
 * counts as 1970), starting at objectVersion (or the newest when it is empty or `latest`; an unknown version
 * yields nothing), and — as the provider's loop only stops after appending one past the limit — up to
 * objectVersionHistory + 1 of them.
 */
export function selectHistoryVersions(obj: SpcObject, listing: readonly VersionListingEntry[]): HistoryVersion[] {
  const type = goTrimSpace(String(obj.objectType ?? ""));
  const name = goTrimSpace(obj.objectName ?? "");
  const alias = goTrimSpace(obj.objectAlias ?? "");
  const wanted = goTrimSpace(obj.objectVersion ?? "");
  const base = alias !== "" ? alias : name;
  const history = Math.trunc(Number(obj.objectVersionHistory ?? 0)) | 0;
  if (history <= 1) return [{ fileName: base, version: wanted, objectUid: `${type}/${name}` }];

  const versions = goSortSlice(
    listing
      .filter((l) => l.attributes !== undefined && l.attributes.enabled !== false)
      .map((l) => ({ version: l.version, created: l.attributes?.created?.getTime() ?? 0 })),
    (a, b) => a.created > b.created,
  );
  const out: HistoryVersion[] = [];
  let found = wanted === "" || wanted === "latest";
  for (const v of versions) {
    found = found || v.version === wanted;
    if (!found) continue;
    const index = out.length;
    const fileName = goJoinPath(base, String(index));
    out.push({ fileName, version: v.version, objectUid: `${type}/${name}/${fileName.split("/").pop()}` });
    if (index + 1 > history) break;
  }
  return out;
}

export interface HistoryFile extends HistoryVersion {
  bytes: Uint8Array;
}

/**
 * The files of a selection, each rendered from that version's Key Vault data exactly as a single object would be.
 * Throws RenderError when any of them cannot be rendered (the provider then fails the whole mount).
 */
export function renderHistoryFiles(
  obj: SpcObject,
  selected: readonly HistoryVersion[],
  dataOf: (version: string) => VaultObjectData,
  options: RenderOptions = {},
): HistoryFile[] {
  return selected.map((s) => ({
    ...s,
    bytes: renderFileContent({ ...obj, objectAlias: s.fileName, objectVersion: s.version }, dataOf(s.version), options),
  }));
}
