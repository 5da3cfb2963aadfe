// Certificate rotations with the material Key Vault serves: the PFX of a certificate's secret in Key Vault's own
// layout (3DES-shrouded key, 3DES-encrypted certificates, SHA-1 MAC keyed with the NULL password — see
// test/env/keyvault-emulator/pfx.ts) and PEM secrets in Key Vault's block order (key first). The pushed bytes are
// checked against node:crypto's rendering of the same key and certificates, never against shared/render.
import { createPrivateKey, X509Certificate } from "node:crypto";
import forge from "node-forge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setRuntime } from "../../shared/pipeline/instance.js";
import type { RealDriver } from "../env/real-driver/test-driver.js";
import { createCa, issueCert, issueIntermediateCa, type CertificateAuthority } from "../env/tls.js";
import { deliverEvents, loadFunctionApp } from "../support/functions-host.js";
import {
  createNamespace,
  createSpc,
  driver,
  keyVaultEvent,
  secretData,
  setRequiresRepublish,
  startWorld,
  uniqueName,
  type ClusterHandles,
  type World,
} from "../support/world.js";

const PFX = "application/x-pkcs12" as const;
const PEM = "application/x-pem-file" as const;

let w: World;
let c: ClusterHandles;
let ns: string;
let d: RealDriver;
let ca: CertificateAuthority;

beforeAll(async () => {
  w = await startWorld();
  await loadFunctionApp();
  c = w.clusters[0]!;
  await setRequiresRepublish(c, true);
  ns = await createNamespace(c, "kvcert");
  d = await driver(w, c, [ns], "v1.6");
  setRuntime(w.runtime({ namespacesInclude: [ns] }, ["c1"]));
  ca = createCa({ commonName: "kvcert root" });
});
afterAll(async () => {
  setRuntime(undefined);
  await d?.stop();
  await w?.stop();
});

interface Material {
  keyPem: string;
  /** PEM certificates, leaf first. */
  chain: string[];
  version: string;
}

/** What the provider writes for a certificate-backed `secret` (both content types): PKCS#8 key, then leaf → root. */
function providerFile(m: Material): string {
  return (
    createPrivateKey(m.keyPem).export({ type: "pkcs8", format: "pem" }).toString() +
    m.chain.map((p) => new X509Certificate(p).toString()).join("")
  );
}

/** The driver's kubernetes.io/tls rules: every certificate in file order; the key as PKCS#1 (RSA) or SEC1 (EC). */
function tlsData(m: Material): Record<string, string> {
  const key = createPrivateKey(m.keyPem);
  return {
    "tls.crt": m.chain.map((p) => new X509Certificate(p).toString()).join(""),
    "tls.key": key.export({ type: key.asymmetricKeyType === "ec" ? "sec1" : "pkcs1", format: "pem" }).toString(),
  };
}

const certPemOf = (cer: Uint8Array) => new X509Certificate(Buffer.from(cer)).toString();

function forgePfx(keyPem: string, certPems: string[]): Uint8Array {
  const p12 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
    certPems.map((p) => forge.pki.certificateFromPem(p)),
    "upload-pw",
    { algorithm: "3des" },
  );
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), "binary");
}

/** An imported RSA certificate with a chain (key and certificates known here). */
async function imported(name: string, contentType: typeof PFX | typeof PEM): Promise<Material> {
  const inter = issueIntermediateCa(ca, { commonName: `${name} intermediate` });
  const leaf = issueCert(inter, { dnsNames: [`${name}.example`] });
  // Uploaded chain first (PEM: key last; PFX: node-forge's own layout and a password): Key Vault serves its own.
  const v =
    contentType === PFX
      ? await w.certs("kv-alpha").importCertificate(name, forgePfx(leaf.keyPem, [inter.certPem, leaf.certPem]), { password: "upload-pw" })
      : await w
          .certs("kv-alpha")
          .importCertificate(name, Buffer.from(inter.certPem + leaf.certPem + leaf.keyPem), { policy: { contentType: PEM } });
  return { keyPem: leaf.keyPem, chain: [leaf.certPem, inter.certPem], version: v.properties.version! };
}

/** An EC certificate Key Vault creates itself: its key is only known from the secret (as PEM, Key Vault's conversion). */
async function created(name: string, contentType: typeof PFX | typeof PEM): Promise<Material> {
  const certs = w.certs("kv-alpha");
  const cert = await (
    await certs.beginCreateCertificate(
      name,
      { issuerName: "Self", subject: `CN=${name}`, keyType: "EC", keyCurveName: "P-256", contentType },
      { intervalInMs: 10 },
    )
  ).pollUntilDone();
  const pem = (await w.secrets("kv-alpha").getSecret(name, { outContentType: PEM })).value!;
  const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(pem)![0];
  return { keyPem, chain: [certPemOf(cert.cer!)], version: cert.properties.version! };
}

async function deliver(name: string, version: string): Promise<void> {
  await deliverEvents(keyVaultEvent(w, "kv-alpha", "Certificate", name, version));
}

describe.each([
  ["RSA, imported, PFX secret", PFX, imported],
  ["RSA, imported, PEM secret", PEM, imported],
  ["EC P-256, created by Key Vault, PFX secret", PFX, created],
  ["EC P-256, created by Key Vault, PEM secret", PEM, created],
] as const)("certificate rotation: %s", (_label, contentType, make) => {
  it("the synced Opaque and kubernetes.io/tls Secrets get the provider's and the driver's bytes of the new version", async () => {
    const name = uniqueName("kvc");
    const first = await make(name, contentType);
    expect((await w.secrets("kv-alpha").getSecret(name)).properties.contentType).toBe(contentType);
    const spc = `spc-${name}`;
    await createSpc(c, ns, {
      name: spc,
      vault: "kv-alpha",
      objects: [{ objectName: name, objectType: "secret" }],
      secretObjects: [
        { secretName: `file-${name}`, type: "Opaque", data: [{ objectName: name, key: "bundle.pem" }] },
        {
          secretName: `tls-${name}`,
          type: "kubernetes.io/tls",
          data: [
            { objectName: name, key: "tls.crt" },
            { objectName: name, key: "tls.key" },
          ],
        },
      ],
    });
    await d.mount(ns, `${name}-0`, spc);
    expect((await secretData(c, ns, `file-${name}`))["bundle.pem"]).toBe(providerFile(first));

    const second = await make(name, contentType);
    expect(second.version).not.toBe(first.version);
    await d.gateOpen(); // a nudge inside --rotation-poll-interval is skipped by the driver (its requeue would flip back)
    await deliver(name, second.version);
    expect((await secretData(c, ns, `file-${name}`))["bundle.pem"]).toBe(providerFile(second));
    expect(await secretData(c, ns, `tls-${name}`)).toEqual(tlsData(second));
    await d.idle();
    // The real driver rebuilds the Secret from its mounts (its requeue): the same bytes, no flip-flop.
    await d.requeue();
    expect(await secretData(c, ns, `tls-${name}`)).toEqual(tlsData(second));
  });
});
