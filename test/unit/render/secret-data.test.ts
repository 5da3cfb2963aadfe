import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { RenderError, renderFileContent, secretDataForKey } from "../../../shared/render/index.js";
import { chain, ecKey, forgePfx, openssl, opensslPfx, pkcs8Pem, rsaKey, text } from "./fixtures.js";

const TLS = "kubernetes.io/tls";
const b = (s: string | Buffer) => (typeof s === "string" ? Buffer.from(s, "utf8") : s);
const pkcs1Pem = (k: KeyObject) => k.export({ type: "pkcs1", format: "pem" }).toString();
const sec1Pem = (k: KeyObject) => k.export({ type: "sec1", format: "pem" }).toString();

function renderError(fn: () => unknown): RenderError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RenderError);
    return e as RenderError;
  }
  throw new Error("expected a RenderError");
}

describe("non-TLS Secrets", () => {
  it("store the raw file bytes under any key", () => {
    const raw = Buffer.from([0, 1, 2, 255, 10, 13]);
    for (const type of ["Opaque", "kubernetes.io/basic-auth", "custom/type", ""]) {
      expect(Buffer.from(secretDataForKey(type, "anything", raw)).equals(raw)).toBe(true);
    }
  });
});

describe("kubernetes.io/tls: tls.crt", () => {
  it("is every CERTIFICATE block of the rendered PFX, in file order", () => {
    const c = chain();
    const file = renderFileContent(
      { objectName: "site", objectType: "secret" },
      {
        kind: "secret",
        name: "site",
        version: "v",
        value: forgePfx(c.leafKey, [c.root, c.leaf, c.intermediate]).toString("base64"),
        contentType: "application/x-pkcs12",
        kid: "k",
      },
    );
    expect(text(secretDataForKey(TLS, "tls.crt", file))).toBe(c.leaf.pem + c.intermediate.pem + c.root.pem);
    expect(text(secretDataForKey(TLS, " tls.crt ", file))).toBe(c.leaf.pem + c.intermediate.pem + c.root.pem);
  });

  it("re-encodes blocks (CRLF, 76-column input becomes Go's layout) and skips non-certificate blocks", () => {
    const c = chain();
    const reflow = (pem: string) => {
      const body = pem.split("\n").slice(1, -2).join("");
      return `-----BEGIN CERTIFICATE-----\r\n${body.replace(/(.{76})/g, "$1\r\n")}\r\n-----END CERTIFICATE-----\r\n`;
    };
    const file = b(reflow(c.root.pem) + pkcs8Pem(c.leafKey) + "junk\n" + reflow(c.leaf.pem));
    expect(text(secretDataForKey(TLS, "tls.crt", file))).toBe(c.root.pem + c.leaf.pem);
  });

  it("falls back to PKCS#12 (empty password) when the file has no PEM certificate, keeping bag attributes as headers", () => {
    const c = chain();
    const pfx = forgePfx(c.leafKey, [c.leaf, c.intermediate], {
      friendlyName: "site",
    });
    const localKeyId = createHash("sha1").update(c.leaf.der).digest("hex");
    const [first, ...rest] = c.leaf.pem.split("\n");
    const leafWithHeaders = [first, "friendlyName: site", `localKeyId: ${localKeyId}`, "", ...rest].join("\n");
    expect(text(secretDataForKey(TLS, "tls.crt", pfx))).toBe(leafWithHeaders + c.intermediate.pem);
  });
});

describe("kubernetes.io/tls: tls.key", () => {
  it("is PKCS#1 RSA PRIVATE KEY for RSA keys given as PKCS#8, PKCS#1 or inside a PFX", () => {
    const c = chain();
    const expected = pkcs1Pem(c.leafKey);
    expect(expected.startsWith("-----BEGIN RSA PRIVATE KEY-----\n")).toBe(true);
    expect(text(secretDataForKey(TLS, "tls.key", b(pkcs8Pem(c.leafKey) + c.leaf.pem)))).toBe(expected);
    expect(text(secretDataForKey(TLS, "tls.key", b(c.leaf.pem + pkcs1Pem(c.leafKey))))).toBe(expected);
    expect(text(secretDataForKey(TLS, "tls.key", forgePfx(c.leafKey, [c.leaf, c.root])))).toBe(expected);
  });

  it("is SEC1 EC PRIVATE KEY for EC keys (P-256, P-384, P-521) given as PKCS#8, SEC1 or inside a PFX", () => {
    for (const crv of ["P-256", "P-384", "P-521"] as const) {
      const k = ecKey(crv);
      const expected = sec1Pem(k);
      // cross-check node's SEC1 export with the openssl CLI
      expect(openssl(["ec", "-in", "k.pem"], { "k.pem": pkcs8Pem(k) }).toString()).toBe(expected);
      expect(text(secretDataForKey(TLS, "tls.key", b(pkcs8Pem(k))))).toBe(expected);
      expect(text(secretDataForKey(TLS, "tls.key", b(sec1Pem(k))))).toBe(expected);
    }
    const c = chain();
    const fromPfx = opensslPfx(c.ecLeafKey, [c.ecLeaf, c.intermediate]);
    expect(text(secretDataForKey(TLS, "tls.key", fromPfx))).toBe(sec1Pem(c.ecLeafKey));
    // and from the provider's rendering of that PFX
    const file = renderFileContent(
      { objectName: "ec", objectType: "secret" },
      {
        kind: "secret",
        name: "ec",
        version: "v",
        value: fromPfx.toString("base64"),
        contentType: "application/x-pkcs12",
        kid: "k",
      },
    );
    expect(text(secretDataForKey(TLS, "tls.key", file))).toBe(sec1Pem(c.ecLeafKey));
  });

  it("takes the last non-certificate block", () => {
    const k1 = rsaKey(1024);
    const k2 = ecKey();
    expect(text(secretDataForKey(TLS, "tls.key", b(pkcs8Pem(k1) + chain().leaf.pem + pkcs8Pem(k2))))).toBe(sec1Pem(k2));
  });

  it("writes an empty PRIVATE KEY block when the last block is not a parsable RSA/EC key (as the driver does)", () => {
    const pub = createPublicKey(rsaKey(1024)).export({ type: "spki", format: "pem" }).toString();
    expect(text(secretDataForKey(TLS, "tls.key", b(pub)))).toBe("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n");
  });

  it("fails with a RenderError for ed25519 keys and for files with neither key nor PKCS#12", () => {
    const ed = generateKeyPairSync("ed25519").privateKey;
    expect(renderError(() => secretDataForKey(TLS, "tls.key", b(pkcs8Pem(ed)))).message).toMatch(
      /key "tls.key" of a kubernetes.io\/tls Secret.*unknown private key type \(ed25519\)/,
    );
    expect(renderError(() => secretDataForKey(TLS, "tls.key", b(chain().leaf.pem))).reason).toMatch(/not a PKCS#12/);
    expect(renderError(() => secretDataForKey(TLS, "tls.crt", b(pkcs8Pem(ed)))).reason).toMatch(/not a PKCS#12/);
  });
});

describe("kubernetes.io/tls: other keys", () => {
  it("are an error, as in the driver", () => {
    const e = renderError(() => secretDataForKey(TLS, "ca.crt", b(chain().root.pem)));
    expect(e.reason).toBe("key 'ca.crt' is not supported. Only 'tls.key' and 'tls.crt' are supported");
  });
});
