import { createHash, createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { certificateKeyIds, ChainError, decodePfx, orderCertificateChain, Pkcs12Error, pkcs12ToPem } from "../../../shared/render/index.js";
import { buildPfx, certificatesToDer, createCa, issueCert, issueIntermediateCa } from "../../env/tls.js";
import { chain, forgePfx, openssl, opensslPfx, type Cert } from "./fixtures.js";

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString("hex"));
const ders = (certs: Cert[]) => certs.map((c) => c.der.toString("hex"));
const asHex = (list: Uint8Array[]) => list.map((d) => Buffer.from(d).toString("hex"));

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe("certificateKeyIds", () => {
  it("reads the SKI and AKI keyIdentifier that were put into the certificates", () => {
    const c = chain();
    expect(hex(certificateKeyIds(c.leaf.der).subjectKeyId)).toBe(c.leaf.ski.toString("hex"));
    expect(hex(certificateKeyIds(c.leaf.der).authorityKeyId)).toBe(c.intermediate.ski.toString("hex"));
    expect(hex(certificateKeyIds(c.intermediate.der).authorityKeyId)).toBe(c.root.ski.toString("hex"));
    // the openssl-made EC leaf: compare with openssl's own text output
    const text = openssl(["x509", "-inform", "DER", "-in", "c.der", "-noout", "-text"], { "c.der": c.ecLeaf.der }).toString();
    const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(text)?.[1]?.replace(/:/g, "").toLowerCase();
    expect(ski).toBe(c.ecLeaf.ski.toString("hex"));
    expect(hex(certificateKeyIds(c.ecLeaf.der).subjectKeyId)).toBe(ski);
    expect(hex(certificateKeyIds(c.ecLeaf.der).authorityKeyId)).toBe(c.intermediate.ski.toString("hex"));
  });

  it("rejects bytes that are not a certificate", () => {
    expect(() => certificateKeyIds(Buffer.from("3003020101", "hex"))).toThrow(ChainError);
  });
});

describe("orderCertificateChain (provider fetchCertChains)", () => {
  it("orders every permutation of root/intermediate/leaf as leaf → intermediate → root", () => {
    const c = chain();
    for (const p of permutations([c.root, c.intermediate, c.leaf])) {
      expect(asHex(orderCertificateChain(p.map((x) => x.der)))).toEqual(ders([c.leaf, c.intermediate, c.root]));
    }
  });

  it("keeps the PFX order whenever the walk from the leaf does not reach every certificate (provider v1.7.0+)", () => {
    const c = chain();
    const incomplete = [
      [c.leaf, c.root],
      [c.root, c.leaf],
      [c.intermediate, c.leaf, c.stranger],
      [c.intermediate, c.stranger, c.leaf],
      [c.leaf, c.leaf],
    ];
    for (const certs of incomplete) expect(asHex(orderCertificateChain(certs.map((x) => x.der)))).toEqual(ders(certs));
  });

  it("fails like Go's x509.ParseCertificate for certificates Go rejects", () => {
    const c = chain();
    // a negative serial number (Go 1.23+): flip the serial INTEGER's first content byte to 0x80+
    const der = Buffer.from(c.leaf.der);
    const serialAt = der.indexOf(Buffer.from([0x02, 0x01, 0x03]));
    expect(serialAt).toBeGreaterThan(0);
    der[serialAt + 2] = 0x83;
    expect(() => orderCertificateChain([der])).toThrow(/negative serial number/);
  });

  it("fails without certificates (no leaf)", () => {
    expect(() => orderCertificateChain([])).toThrow(/no leaf/);
  });
});

describe("test PFX fixtures (test/env/tls.ts, written by the openssl CLI)", () => {
  it("decode to the key and every certificate, leaf first", () => {
    const ca = createCa();
    const inter = issueIntermediateCa(ca);
    const leaf = issueCert(inter, { dnsNames: ["a.example"] });
    const pfx = decodePfx(buildPfx(leaf.keyPem, [ca.certPem, leaf.certPem, inter.certPem]));
    const der = (pem: string) => asHex(certificatesToDer([pem]));
    expect(asHex(pfx.certificates)).toEqual([...der(leaf.certPem), ...der(ca.certPem), ...der(inter.certPem)]);
    expect(Buffer.from(pfx.privateKeys[0]!).equals(createPrivateKey(leaf.keyPem).export({ format: "der", type: "pkcs8" }))).toBe(true);
    // without a key openssl writes one ContentInfo, which the provider's Go decoder refuses
    expect(() => decodePfx(buildPfx(null, [ca.certPem], "", 128))).toThrow(/exactly two items/);
  });
});

describe("decodePfx", () => {
  it("returns the key as PKCS#8 and the certificates in bag order (forge, 3DES)", () => {
    const c = chain();
    const pfx = forgePfx(c.leafKey, [c.intermediate, c.root, c.leaf]);
    const out = decodePfx(pfx);
    expect(asHex(out.privateKeys)).toEqual([c.leafKey.export({ type: "pkcs8", format: "der" }).toString("hex")]);
    expect(asHex(out.certificates)).toEqual(ders([c.intermediate, c.root, c.leaf]));
    // base64 text input (Key Vault's value) gives the same
    expect(asHex(decodePfx(pfx.toString("base64")).certificates)).toEqual(ders([c.intermediate, c.root, c.leaf]));
  });

  it("decodes an EC key from an openssl PFX (3DES and RC2-40 legacy)", () => {
    const c = chain();
    for (const mode of ["3des", "legacy"] as const) {
      const out = decodePfx(opensslPfx(c.ecLeafKey, [c.ecLeaf, c.intermediate, c.root], mode));
      expect(asHex(out.privateKeys)).toEqual([c.ecLeafKey.export({ type: "pkcs8", format: "der" }).toString("hex")]);
      expect(asHex(out.certificates)).toEqual(ders([c.ecLeaf, c.intermediate, c.root]));
    }
  });

  it("pkcs12ToPem gives Go's ToPEM blocks: PKCS#1/SEC1 key bytes under PRIVATE KEY, attributes as headers", () => {
    const c = chain();
    const blocks = pkcs12ToPem(forgePfx(c.leafKey, [c.leaf, c.root], { friendlyName: "my cert" }));
    expect(blocks.map((b) => b.type)).toEqual(["CERTIFICATE", "CERTIFICATE", "PRIVATE KEY"]);
    const keyBlock = blocks[2]!;
    expect(hex(keyBlock.bytes)).toBe(c.leafKey.export({ type: "pkcs1", format: "der" }).toString("hex"));
    // forge sets localKeyId = SHA-1 of the first certificate on the first cert bag and on the key bag
    const localKeyId = createHash("sha1").update(c.leaf.der).digest("hex");
    expect([...blocks[0]!.headers].sort()).toEqual([
      ["friendlyName", "my cert"],
      ["localKeyId", localKeyId],
    ]);
    expect(blocks[1]!.headers.size).toBe(0);
    expect(keyBlock.headers.get("localKeyId")).toBe(localKeyId);
    const ecBlocks = pkcs12ToPem(opensslPfx(c.ecLeafKey, [c.ecLeaf]));
    const ecKeyBlock = ecBlocks.find((b) => b.type === "PRIVATE KEY")!;
    expect(hex(ecKeyBlock.bytes)).toBe(c.ecLeafKey.export({ type: "sec1", format: "der" }).toString("hex"));
  });

  it("rejects what the provider's Go decoder rejects", () => {
    const c = chain();
    expect(() => decodePfx(forgePfx(c.leafKey, [c.leaf], { algorithm: "aes128" }))).toThrow(/not supported/);
    expect(() => decodePfx(opensslPfx(c.ecLeafKey, [c.ecLeaf], "default"))).toThrow(/digest algorithm|not supported/);
    expect(() => decodePfx(forgePfx(c.leafKey, [c.leaf], { password: "secret" }))).toThrow(/password/);
    expect(() => decodePfx(forgePfx(null, [c.leaf]))).toThrow(/exactly two items/);
    expect(() => decodePfx("not base64!")).toThrow(/base64/);
    expect(() => decodePfx(Buffer.from("garbage"))).toThrow(Pkcs12Error);
  });
});
