// One case, both sides: the request the upstream oracle answers, and our renderer's outcome for the same input.
import * as render from "../../../shared/render/index.js";
import type { SpcObject, VaultObjectData } from "../../../shared/model/index.js";
import type { Case, ListingEntry, RawObject, VaultEntry } from "./cases.js";

export const VAULT = "https://kvrp-oracle.vault.azure.net";
/** Key Vault object names; the oracle's vault has nothing else (both sides then fail the read). */
const KV_NAME = /^[0-9A-Za-z-]+$/;
const PLURAL: Record<string, string> = { secret: "secrets", key: "keys", cert: "certificates" };

/** A side's outcome: bytes, or "does not render" (upstream: mount fails or panics; ours: RenderError). */
export type Outcome = { ok: true; name?: string; bytes: Buffer } | { ok: false; error: string; crash?: boolean };

const b64url = (b: Buffer) => b.toString("base64url");

function goObject(o: RawObject): object {
  return {
    objectName: o.objectName,
    objectAlias: o.objectAlias ?? "",
    objectVersion: o.objectVersion ?? "",
    objectVersionHistory: o.objectVersionHistory ?? 0,
    objectType: o.objectType,
    objectFormat: o.objectFormat ?? "",
    objectEncoding: o.objectEncoding ?? "",
  };
}

function entryBody(e: VaultEntry, plural: string, name: string): string {
  const id = `${VAULT}/${plural}/${name}/v1`;
  switch (e.kind) {
    case "secret":
      return JSON.stringify({
        ...(e.value !== undefined ? { value: e.value } : {}),
        ...(e.hasId ? { id } : {}),
        ...(e.contentType !== undefined ? { contentType: e.contentType } : {}),
        ...(e.kid !== undefined ? { kid: e.kid } : {}),
      });
    case "key": {
      if (e.noKey) return "{}";
      const key: Record<string, string> = {};
      if (e.hasKid) key.kid = id;
      if (e.kty !== undefined) key.kty = e.kty;
      for (const k of ["n", "e", "x", "y"] as const) if (e[k] !== undefined) key[k] = b64url(e[k]);
      if (e.crv !== undefined) key.crv = e.crv;
      return JSON.stringify({ key });
    }
    case "cert":
      return JSON.stringify({ ...(e.hasId ? { id } : {}), ...(e.cer !== undefined ? { cer: e.cer.toString("base64") } : {}) });
  }
}

/** The provider oracle's request for a mount or history case. */
export function providerRequest(c: Case & { kind: "mount" | "history" }): object {
  const type = render.goTrimSpace(c.object.objectType);
  const plural = PLURAL[type] ?? "unknown";
  const name = render.goTrimSpace(c.object.objectName);
  const responses: Record<string, { status: number; body: string }> = {};
  if (!KV_NAME.test(name)) {
    // no such object in a real vault: Key Vault answers 404
  } else if (c.kind === "mount") {
    const version = render.goTrimSpace(c.object.objectVersion ?? "");
    responses[`/${plural}/${name}/${version}`] = { status: 200, body: entryBody(c.entry, plural, name) };
  } else {
    const idKey = type === "key" ? "kid" : "id";
    const value = c.listing.map((l) => ({
      [idKey]: `${VAULT}/${plural}/${name}/${l.version}`,
      ...(l.hasAttributes
        ? {
            attributes: {
              ...(l.enabled !== undefined ? { enabled: l.enabled } : {}),
              ...(l.created !== undefined ? { created: l.created } : {}),
            },
          }
        : {}),
    }));
    responses[`/${plural}/${name}/versions`] = { status: 200, body: JSON.stringify({ value }) };
  }
  return {
    id: c.id,
    op: c.kind === "mount" ? "mount" : "select",
    object: goObject(c.object),
    responses,
    constructPemChain: c.kind === "mount" ? c.constructPemChain : true,
  };
}

/** What our Key Vault reader hands the renderer for this REST answer (absent members stay absent). */
function vaultData(e: VaultEntry, name: string): VaultObjectData | { readError: string } {
  switch (e.kind) {
    case "secret": {
      const d = { kind: "secret", name, version: e.hasId ? "v1" : undefined, value: e.value } as unknown as VaultObjectData & {
        kind: "secret";
      };
      if (e.contentType !== undefined) d.contentType = e.contentType;
      if (e.kid !== undefined) d.kid = e.kid;
      return d;
    }
    case "key": {
      if (e.noKey) return { kind: "key", name, version: undefined, jwk: { kty: "" } } as unknown as VaultObjectData;
      const jwk: (VaultObjectData & { kind: "key" })["jwk"] = { kty: e.kty ?? "" };
      for (const k of ["n", "e", "x", "y"] as const) if (e[k] !== undefined) jwk[k] = e[k];
      if (e.crv !== undefined) jwk.crv = e.crv;
      return { kind: "key", name, version: e.hasKid ? "v1" : undefined, jwk } as unknown as VaultObjectData;
    }
    case "cert":
      if (e.cer === undefined) return { readError: "certificate has no cer" };
      return { kind: "cert", name, version: e.hasId ? "v1" : undefined, cer: e.cer } as unknown as VaultObjectData;
  }
}

function attempt(f: () => { name?: string; bytes: Uint8Array }): Outcome {
  try {
    const r = f();
    return { ok: true, ...(r.name !== undefined ? { name: r.name } : {}), bytes: Buffer.from(r.bytes) };
  } catch (e) {
    if (e instanceof render.RenderError) return { ok: false, error: e.message };
    return { ok: false, error: `${(e as Error).name}: ${(e as Error).message}`, crash: true };
  }
}

export function oursMount(c: Case & { kind: "mount" }): Outcome {
  const obj = c.object as unknown as SpcObject;
  return attempt(() => {
    const name = render.objectFileName(obj);
    const kvName = render.goTrimSpace(c.object.objectName);
    // Key Vault only has objects named [0-9A-Za-z-]; anything else is a failed read for our reader too.
    const data = KV_NAME.test(kvName) ? vaultData(c.entry, kvName) : { readError: `no object named ${JSON.stringify(kvName)}` };
    if ("readError" in data) throw new render.RenderError("cert", data.readError);
    return { name, bytes: render.renderFileContent(obj, data, { constructPemChain: c.constructPemChain }) };
  });
}

export function oursSecretData(secretType: string, key: string, file: Buffer): Outcome {
  return attempt(() => ({ bytes: render.secretDataForKey(secretType, key, file) }));
}

export function oursHistory(c: Case & { kind: "history" }): { ok: true; versions: [string, string][] } | { ok: false; error: string } {
  try {
    const listing: render.VersionListingEntry[] = c.listing.map((l: ListingEntry) => ({
      version: l.version,
      ...(l.hasAttributes
        ? {
            attributes: {
              ...(l.enabled !== undefined ? { enabled: l.enabled } : {}),
              ...(l.created !== undefined ? { created: new Date(l.created * 1000) } : {}),
            },
          }
        : {}),
    }));
    return {
      ok: true,
      versions: render.selectHistoryVersions(c.object as unknown as SpcObject, listing).map((v) => [v.fileName, v.version]),
    };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** A value-free description of an outcome for a reproduction: file name and length, or the error. */
export function describeOutcome(o: Outcome): string {
  if (!o.ok) return `does not render: ${o.error}${o.crash ? " (crash: not a RenderError)" : ""}`;
  return `${o.name !== undefined ? `file ${JSON.stringify(o.name)}, ` : ""}${o.bytes.length} bytes`;
}

/** Where two byte strings first differ (-1 when equal). */
export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export const SECRET_CHECKS: [string, string][] = [
  ["Opaque", "value"],
  ["kubernetes.io/tls", "tls.crt"],
  ["kubernetes.io/tls", "tls.key"],
];
