import { createPublicKey, generateKeyPairSync, randomBytes, type JsonWebKey, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { RenderError, renderFileContent } from "../../../shared/render/index.js";
import type { SpcObject, VaultObjectData } from "../../../shared/model/index.js";
import { chain, ecKey, forgePfx, opensslPfx, pkcs8Pem, rsaKey, text } from "./fixtures.js";

const secret = (value: string, extra: { contentType?: string; kid?: string } = {}): VaultObjectData => ({
  kind: "secret",
  name: "obj",
  version: "v1",
  value,
  ...extra,
});
const certSecret = (value: string, contentType: string): VaultObjectData =>
  secret(value, {
    contentType,
    kid: "https://vault.vault.azure.net/keys/obj/v1",
  });
const obj = (o: Partial<SpcObject> = {}): SpcObject => ({
  objectName: "obj",
  objectType: "secret",
  ...o,
});
const PFX = "application/x-pkcs12";
const PEM = "application/x-pem-file";

function renderError(fn: () => unknown): RenderError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RenderError);
    return e as RenderError;
  }
  throw new Error("expected a RenderError");
}

describe("plain secrets", () => {
  it("writes the value's UTF-8 bytes, no newline added, contentType ignored without kid", () => {
    const value = "pässwörd ✓\n  with spaces ";
    for (const o of [obj(), obj({ objectEncoding: "utf-8" }), obj({ objectFormat: "pem" })]) {
      expect(Buffer.from(renderFileContent(o, secret(value))).equals(Buffer.from(value, "utf8"))).toBe(true);
    }
    expect(text(renderFileContent(obj(), secret("abc", { contentType: PFX })))).toBe("abc");
    // objectFormat pfx without kid: the value as-is
    expect(text(renderFileContent(obj({ objectFormat: "pfx" }), secret("abc")))).toBe("abc");
  });

  it("decodes objectEncoding base64 (Go StdEncoding, line breaks ignored) and hex (any case)", () => {
    const bytes = randomBytes(100);
    const b64 = bytes.toString("base64");
    const wrapped = b64.replace(/(.{40})/g, "$1\r\n");
    for (const v of [b64, wrapped]) {
      expect(Buffer.from(renderFileContent(obj({ objectEncoding: "base64" }), secret(v))).equals(bytes)).toBe(true);
    }
    expect(Buffer.from(renderFileContent(obj({ objectEncoding: "hex" }), secret(bytes.toString("hex").toUpperCase()))).equals(bytes)).toBe(
      true,
    );
    expect(renderFileContent(obj({ objectEncoding: "base64" }), secret(""))).toHaveLength(0);
  });

  it("fails with a RenderError on invalid base64 or hex", () => {
    for (const bad of ["YQ", "YQ=", "@@@@", "YQ==YQ==", "a b="]) {
      const e = renderError(() => renderFileContent(obj({ objectEncoding: "base64" }), secret(bad)));
      expect(e.message).toMatch(/secret "obj".*base64/);
    }
    for (const bad of ["abc", "zz"]) {
      expect(renderError(() => renderFileContent(obj({ objectEncoding: "hex" }), secret(bad))).message).toMatch(/hex/);
    }
  });
});

describe("certificate-backed secrets", () => {
  it("x-pem-file: the value as-is; objectEncoding still applies (and fails on PEM text)", () => {
    const pem = pkcs8Pem(rsaKey(1024)) + chain().leaf.pem;
    expect(text(renderFileContent(obj(), certSecret(pem, PEM)))).toBe(pem);
    expect(renderError(() => renderFileContent(obj({ objectEncoding: "base64" }), certSecret(pem, PEM))).reason).toMatch(/base64/);
  });

  it("x-pkcs12 with objectFormat pfx: the base64 text; with objectEncoding base64: the binary PFX", () => {
    const c = chain();
    const pfx = forgePfx(c.leafKey, [c.leaf, c.intermediate, c.root]);
    const b64 = pfx.toString("base64");
    expect(text(renderFileContent(obj({ objectFormat: "pfx" }), certSecret(b64, PFX)))).toBe(b64);
    expect(text(renderFileContent(obj({ objectFormat: "PFX" as SpcObject["objectFormat"] }), certSecret(b64, PFX)))).toBe(b64);
    const bin = renderFileContent(obj({ objectFormat: "pfx", objectEncoding: "base64" }), certSecret(b64, PFX));
    expect(Buffer.from(bin).equals(pfx)).toBe(true);
  });

  it("x-pkcs12 default: PKCS#8 key first, then leaf → intermediate → root, whatever the PFX order", () => {
    const c = chain();
    const expected = pkcs8Pem(c.leafKey) + c.leaf.pem + c.intermediate.pem + c.root.pem;
    for (const order of [
      [c.leaf, c.intermediate, c.root],
      [c.root, c.intermediate, c.leaf],
      [c.intermediate, c.leaf, c.root],
    ]) {
      const b64 = forgePfx(c.leafKey, order).toString("base64");
      expect(text(renderFileContent(obj(), certSecret(b64, PFX)))).toBe(expected);
      expect(text(renderFileContent(obj({ objectFormat: "pem", objectEncoding: "utf-8" }), certSecret(b64, PFX)))).toBe(expected);
    }
  });

  it("x-pkcs12 default with an EC P-256 key (openssl PFX, 3DES and RC2-40)", () => {
    const c = chain();
    const expected = pkcs8Pem(c.ecLeafKey) + c.ecLeaf.pem + c.intermediate.pem + c.root.pem;
    for (const mode of ["3des", "legacy"] as const) {
      const b64 = opensslPfx(c.ecLeafKey, [c.ecLeaf, c.root, c.intermediate], mode).toString("base64");
      expect(text(renderFileContent(obj(), certSecret(b64, PFX)))).toBe(expected);
    }
  });

  it("x-pkcs12 with an incomplete chain keeps every certificate in PFX order (provider v1.7.0+), as constructPemChain=false does", () => {
    const c = chain();
    const b64 = forgePfx(c.leafKey, [c.leaf, c.root]).toString("base64");
    // the intermediate is missing: the leaf cannot reach the root, so nothing is reordered or dropped
    expect(text(renderFileContent(obj(), certSecret(b64, PFX)))).toBe(pkcs8Pem(c.leafKey) + c.leaf.pem + c.root.pem);
    // [root, leaf]: the leaf must not be lost
    const rootFirst = forgePfx(c.leafKey, [c.root, c.leaf]).toString("base64");
    expect(text(renderFileContent(obj(), certSecret(rootFirst, PFX)))).toBe(pkcs8Pem(c.leafKey) + c.root.pem + c.leaf.pem);
    expect(
      text(
        renderFileContent(obj(), certSecret(b64, PFX), {
          constructPemChain: false,
        }),
      ),
    ).toBe(pkcs8Pem(c.leafKey) + c.leaf.pem + c.root.pem);
  });

  it("fails with a RenderError for unknown content types and undecodable PFX values", () => {
    const e = renderError(() => renderFileContent(obj(), certSecret("x", "application/json")));
    expect(e.message).toMatch(/secret "obj".*unknown content type "application\/json"/);
    expect(renderError(() => renderFileContent(obj(), secret("x", { kid: "k" }))).reason).toMatch(/content type/);
    expect(renderError(() => renderFileContent(obj(), certSecret("%%%", PFX))).reason).toMatch(/base64/);
    const c = chain();
    const aes = forgePfx(c.leafKey, [c.leaf], { algorithm: "aes128" }).toString("base64");
    expect(renderError(() => renderFileContent(obj({ objectAlias: "tls" }), certSecret(aes, PFX))).message).toMatch(
      /secret "obj", file "tls".*not supported/,
    );
  });
});

function jwkBytes(k: KeyObject): {
  kty: string;
  n?: Uint8Array;
  e?: Uint8Array;
  crv?: string;
  x?: Uint8Array;
  y?: Uint8Array;
} {
  const jwk = createPublicKey(k).export({ format: "jwk" }) as JsonWebKey;
  const b = (s: string | undefined) => (s === undefined ? undefined : new Uint8Array(Buffer.from(s, "base64url")));
  const out: {
    kty: string;
    n?: Uint8Array;
    e?: Uint8Array;
    crv?: string;
    x?: Uint8Array;
    y?: Uint8Array;
  } = { kty: jwk.kty! };
  if (jwk.n) out.n = b(jwk.n)!;
  if (jwk.e) out.e = b(jwk.e)!;
  if (jwk.crv) out.crv = jwk.crv;
  if (jwk.x) out.x = b(jwk.x)!;
  if (jwk.y) out.y = b(jwk.y)!;
  return out;
}
const keyData = (jwk: ReturnType<typeof jwkBytes>): VaultObjectData => ({
  kind: "key",
  name: "k",
  version: "v",
  jwk,
});
const nodeSpkiPem = (k: KeyObject) => createPublicKey(k).export({ type: "spki", format: "pem" }).toString();

describe("keys", () => {
  it("RSA and RSA-HSM: PKIX PUBLIC KEY PEM equal to node:crypto's export", () => {
    for (const bits of [1024, 2048, 3072]) {
      const k = rsaKey(bits);
      for (const kty of ["RSA", "RSA-HSM"]) {
        const jwk = { ...jwkBytes(k), kty };
        expect(text(renderFileContent(obj({ objectType: "key" }), keyData(jwk)))).toBe(nodeSpkiPem(k));
      }
    }
  });

  it("a leading zero byte in n does not change the output", () => {
    const k = rsaKey(1024);
    const jwk = jwkBytes(k);
    const padded = { ...jwk, n: new Uint8Array([0, ...jwk.n!]) };
    expect(text(renderFileContent(obj({ objectType: "key" }), keyData(padded)))).toBe(nodeSpkiPem(k));
  });

  it("EC and EC-HSM on P-256, P-384, P-521", () => {
    for (const crv of ["P-256", "P-384", "P-521"] as const) {
      const k = ecKey(crv);
      for (const kty of ["EC", "EC-HSM"]) {
        const jwk = { ...jwkBytes(k), kty };
        expect(text(renderFileContent(obj({ objectType: "key" }), keyData(jwk)))).toBe(nodeSpkiPem(k));
      }
    }
  });

  it("fails with a RenderError for unsupported types, curves and invalid points", () => {
    const k1 = generateKeyPairSync("ec", {
      namedCurve: "secp256k1",
    }).privateKey;
    const e1 = renderError(() => renderFileContent(obj({ objectType: "key" }), keyData({ ...jwkBytes(k1), crv: "P-256K" })));
    expect(e1.message).toMatch(/key "obj".*curve "P-256K" is not supported/);
    expect(renderError(() => renderFileContent(obj({ objectType: "key" }), keyData({ kty: "oct" }))).reason).toMatch(
      /key type "oct" is not supported/,
    );
    const p = jwkBytes(ecKey("P-256"));
    const offCurve = {
      ...p,
      y: new Uint8Array(p.y!.map((b, i) => (i === 31 ? b ^ 1 : b))),
    };
    expect(renderError(() => renderFileContent(obj({ objectType: "key" }), keyData(offCurve))).reason).toMatch(
      /invalid elliptic curve public key/,
    );
    expect(renderError(() => renderFileContent(obj({ objectType: "key" }), keyData({ kty: "EC", crv: "P-256" }))).reason).toMatch(
      /invalid elliptic curve public key/,
    );
  });

  it("renders an RSA JWK without n or e as the provider does (zero values)", () => {
    const pem = text(renderFileContent(obj({ objectType: "key" }), keyData({ kty: "RSA" })));
    // SubjectPublicKeyInfo { rsaEncryption, RSAPublicKey { 0, 0 } }, as upstream writes it
    expect(pem).toBe("-----BEGIN PUBLIC KEY-----\nMBowDQYJKoZIhvcNAQEBBQADCQAwBgIBAAIBAA==\n-----END PUBLIC KEY-----\n");
  });
});

describe("certificates", () => {
  it("writes a single CERTIFICATE PEM of cer", () => {
    const c = chain().leaf;
    const data: VaultObjectData = {
      kind: "cert",
      name: "c",
      version: "v",
      cer: new Uint8Array(c.der),
    };
    expect(text(renderFileContent(obj({ objectType: "cert" }), data))).toBe(c.pem);
  });
});

describe("validation (as the provider validates before fetching)", () => {
  const cert: VaultObjectData = {
    kind: "cert",
    name: "c",
    version: "v",
    cer: new Uint8Array([1]),
  };
  it("rejects objectEncoding and objectFormat pfx outside secrets, and unknown formats/encodings", () => {
    expect(renderError(() => renderFileContent(obj({ objectType: "cert", objectEncoding: "base64" }), cert)).reason).toMatch(
      /objectEncoding is only supported for objectType secret/,
    );
    expect(renderError(() => renderFileContent(obj({ objectType: "cert", objectFormat: "pfx" }), cert)).reason).toMatch(
      /pfx is only supported/,
    );
    expect(renderError(() => renderFileContent(obj({ objectFormat: "der" as SpcObject["objectFormat"] }), secret("x"))).reason).toMatch(
      /invalid objectFormat "der"/,
    );
    expect(
      renderError(() => renderFileContent(obj({ objectEncoding: "utf-16" as SpcObject["objectEncoding"] }), secret("x"))).reason,
    ).toMatch(/invalid objectEncoding "utf-16"/);
    expect(renderError(() => renderFileContent(obj({ objectType: "key" }), secret("x"))).reason).toMatch(/needs Key Vault key data/);
  });
});
