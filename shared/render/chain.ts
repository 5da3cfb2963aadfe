// The provider's certificate chain ordering (fetchCertChains, `--construct-pem-chain`, on by default) and the
// parts of Go's x509.ParseCertificate it depends on. OpenSSL (node:crypto X509Certificate) decides whether a
// certificate parses at all; the rules where Go is stricter than OpenSSL are added here.
import { X509Certificate } from "node:crypto";
import { Asn1Error, bigIntOf, Cursor, elements, intOf, oidOf, one, want, type Tlv } from "./der.js";

/** A certificate Go's x509.ParseCertificate rejects, or an order the provider cannot build. */
export class ChainError extends Error {
  override readonly name = "ChainError";
}

export interface CertificateKeyIds {
  /** SubjectKeyIdentifier, `null` when absent. */
  subjectKeyId: Uint8Array | null;
  /** AuthorityKeyIdentifier's keyIdentifier, `null` when absent. */
  authorityKeyId: Uint8Array | null;
}

const EXT = { subjectKeyId: "2.5.29.14", authorityKeyId: "2.5.29.35", authorityInfoAccess: "1.3.6.1.5.5.7.1.1" } as const;

/** x509.ParseCertificate as far as the chain builder needs it: rejects what Go rejects, returns the key ids. */
export function certificateKeyIds(certDer: Uint8Array): CertificateKeyIds {
  try {
    new X509Certificate(Buffer.from(certDer));
  } catch (e) {
    throw new ChainError(`x509: malformed certificate (${(e as Error).message})`);
  }
  try {
    const cert = Cursor.of(one(certDer));
    const tbs = Cursor.of(cert.take(want.seq, "tbsCertificate"));
    const versionTlv = tbs.explicit(0, want.int, "version", true);
    const version = versionTlv ? intOf(versionTlv) : 0;
    if (version < 0 || version > 2) throw new ChainError("x509: invalid version");
    // Go 1.23+ rejects negative serial numbers (GODEBUG x509negativeserial, off by default).
    if (bigIntOf(tbs.take(want.int, "serialNumber")) < 0n) throw new ChainError("x509: negative serial number");
    for (const what of ["signature", "issuer", "validity", "subject", "subjectPublicKeyInfo"]) tbs.take(want.seq, what);
    tbs.maybe(want.implicit(1));
    tbs.maybe(want.implicit(2));
    const exts = tbs.explicit(3, want.seq, "extensions", true);
    const ids: CertificateKeyIds = { subjectKeyId: null, authorityKeyId: null };
    if (!exts) return ids;
    const seen = new Set<string>();
    for (const ext of elements(exts, want.seq, "extension")) {
      const c = Cursor.of(ext);
      const id = oidOf(c.take(want.oid, "extension id"));
      const critical = c.maybe((t) => t.cls === 0 && t.tag === 1 && !t.constructed);
      const isCritical = critical !== undefined && critical.value[0] !== 0;
      const value = c.take(want.octets, "extension value").value;
      if (seen.has(id)) throw new ChainError("x509: certificate contains duplicate extensions");
      seen.add(id);
      if (id === EXT.authorityKeyId) {
        if (isCritical) throw new ChainError("x509: authority key identifier incorrectly marked critical");
        const aki = one(value);
        if (!want.seq(aki)) throw new ChainError("x509: invalid authority key identifier");
        const first: Tlv | undefined = aki.value.length ? Cursor.of(aki).maybe(want.any) : undefined;
        if (first && first.cls === 2 && first.tag === 0 && !first.constructed) ids.authorityKeyId = new Uint8Array(first.value);
      } else if (id === EXT.subjectKeyId) {
        if (isCritical) throw new ChainError("x509: subject key identifier incorrectly marked critical");
        const ski = one(value);
        if (!want.octets(ski)) throw new ChainError("x509: invalid subject key identifier");
        ids.subjectKeyId = new Uint8Array(ski.value);
      } else if (id === EXT.authorityInfoAccess && isCritical) {
        throw new ChainError("x509: authority info access incorrectly marked critical");
      }
    }
    return ids;
  } catch (e) {
    if (e instanceof Asn1Error) throw new ChainError(`x509: malformed certificate (${e.message})`);
    throw e;
  }
}

const sameBytes = (a: Uint8Array | null, b: Uint8Array | null) => Buffer.from(a ?? []).equals(Buffer.from(b ?? []));

/**
 * fetchCertChains: every certificate must parse (else the mount fails). Each certificate's parent is the first
 * other certificate whose SubjectKeyId equals its AuthorityKeyId; the leaf is the first certificate that is
 * nobody's parent. When the walk leaf → root reaches every certificate the result is that order; otherwise
 * (incomplete or unrelated chains, duplicates, two leaves) the certificates keep their PFX order (provider
 * v1.7.0+). No leaf (no certificates, or only parents) and cycles fail.
 */
export function orderCertificateChain(certs: readonly Uint8Array[]): Uint8Array[] {
  const nodes = certs.map((der) => ({ der, ids: certificateKeyIds(der), parent: -1, isParent: false }));
  for (let i = 0; i < nodes.length; i++) {
    for (let j = 0; j < nodes.length; j++) {
      if (i === j) continue;
      const ni = nodes[i]!;
      const nj = nodes[j]!;
      if (ni.ids.authorityKeyId === null && nj.ids.subjectKeyId === null) continue;
      if (sameBytes(ni.ids.authorityKeyId, nj.ids.subjectKeyId)) {
        nj.isParent = true;
        ni.parent = j;
        break;
      }
    }
  }
  const leaf = nodes.findIndex((n) => !n.isParent);
  if (leaf < 0) throw new ChainError("no leaf found");
  const chain: Uint8Array[] = [];
  for (let cur = leaf, processed = 1; cur >= 0; cur = nodes[cur]!.parent, processed++) {
    if (processed > nodes.length) throw new ChainError("constructing chain resulted in cycle");
    chain.push(nodes[cur]!.der);
  }
  return chain.length === nodes.length ? chain : [...certs];
}
