import { describe, expect, it } from "vitest";
import { renderHistoryFiles, selectHistoryVersions, type VersionListingEntry } from "../../../shared/render/index.js";
import { goCleanPath } from "../../../shared/render/history.js";
import type { SpcObject, VaultObjectData } from "../../../shared/model/index.js";

const at = (s: number) => new Date(1_700_000_000_000 + s * 1000);
const listing: VersionListingEntry[] = [
  { version: "v1", attributes: { enabled: true, created: at(1) } },
  { version: "v3", attributes: { enabled: true, created: at(3) } },
  { version: "v2", attributes: { enabled: false, created: at(2) } },
  { version: "v4", attributes: { created: at(4) } },
  { version: "v0" },
  { version: "v5", attributes: { enabled: true, created: at(5) } },
];
const obj = (o: Partial<SpcObject>): SpcObject => ({ objectName: "db", objectType: "secret", objectVersionHistory: 2, ...o });
const pick = (o: Partial<SpcObject>) => selectHistoryVersions(obj(o), listing).map((v) => `${v.fileName}=${v.version}`);

describe("selectHistoryVersions (the provider's getLatestNKeyVaultObjects)", () => {
  it("takes enabled versions newest first and, like the provider's loop, one more than objectVersionHistory", () => {
    expect(pick({})).toEqual(["db/0=v5", "db/1=v4", "db/2=v3"]);
    expect(pick({ objectVersionHistory: 10 })).toEqual(["db/0=v5", "db/1=v4", "db/2=v3", "db/3=v1"]);
  });

  it("starts at objectVersion (latest = newest) and yields nothing for an unknown version", () => {
    expect(pick({ objectVersion: "v4" })).toEqual(["db/0=v4", "db/1=v3", "db/2=v1"]);
    expect(pick({ objectVersion: "latest" })).toEqual(pick({}));
    expect(pick({ objectVersion: "nope" })).toEqual([]);
  });

  it("names files under the alias with Go's filepath.Join and gives the SPCPS ids", () => {
    const v = selectHistoryVersions(obj({ objectAlias: " dir/./x/ " }), listing);
    expect(v.map((x) => x.fileName)).toEqual(["dir/x/0", "dir/x/1", "dir/x/2"]);
    expect(v.map((x) => x.objectUid)).toEqual(["secret/db/0", "secret/db/1", "secret/db/2"]);
    expect(goCleanPath("a/../../b")).toBe("../b");
  });

  it("is the single object itself at objectVersionHistory 1 or less", () => {
    expect(selectHistoryVersions(obj({ objectVersionHistory: 1, objectVersion: "v1" }), listing)).toEqual([
      { fileName: "db", version: "v1", objectUid: "secret/db" },
    ]);
  });

  it("renders each selected version's file from that version's data", () => {
    const files = renderHistoryFiles(
      obj({}),
      selectHistoryVersions(obj({}), listing),
      (version) => ({ kind: "secret", name: "db", version, value: `value of ${version}` }) satisfies VaultObjectData,
    );
    expect(files.map((f) => [f.fileName, Buffer.from(f.bytes).toString()])).toEqual([
      ["db/0", "value of v5"],
      ["db/1", "value of v4"],
      ["db/2", "value of v3"],
    ]);
  });
});
