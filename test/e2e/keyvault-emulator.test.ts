/**
 * The Key Vault emulator, driven through the real @azure/keyvault-* SDK clients over verified TLS.
 */
import { execFile, spawnSync } from "node:child_process";
import { createPublicKey, X509Certificate } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { fileURLToPath } from "node:url";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import forge from "node-forge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  recordingCredential,
  startKeyVaultEmulator,
  staticCredential,
  vaultClientOptions,
  type KeyVaultEmulator,
} from "../env/keyvault-emulator.js";
import {
  buildPfx,
  createCa,
  issueCert,
  issueIntermediateCa,
  issueServerCert,
  writePemPair,
  type CertificateAuthority,
} from "../env/tls.js";

const VERSION_RE = /^[0-9a-f]{32}$/;
const FAST_RETRY = {
  maxRetries: 2,
  retryDelayInMs: 20,
  maxRetryDelayInMs: 100,
};

let ca: CertificateAuthority;
let server: { certPem: string; keyPem: string };
let emu: KeyVaultEmulator;
let n = 0;
const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${n++}`;

function clients(vault: string) {
  const url = emu.urlFor(vault);
  const options = vaultClientOptions(ca.certPem, { retryOptions: FAST_RETRY });
  const cred = staticCredential();
  return {
    url,
    secrets: new SecretClient(url, cred, options),
    keys: new KeyClient(url, cred, options),
    certs: new CertificateClient(url, cred, options),
  };
}

/** A raw HTTPS request (CA-verified) for checks below the SDK. */
function raw(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers, ca: ca.certPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

async function expectRestError(p: Promise<unknown>, statusCode: number, code?: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { statusCode?: number; code?: string };
    expect(err.statusCode).toBe(statusCode);
    if (code) expect(err.code).toBe(code);
    return err;
  }
  throw new Error(`expected a ${statusCode} error`);
}

/** The emulator's child-process entry runs from dist/: compile when it is missing or older than test/env. */
function buildIfStale(entry: string): void {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  if (existsSync(entry) && statSync(entry).mtimeMs >= newest(join(root, "test/env"))) return;
  const r = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`tsc failed (this test runs the built emulator):\n${r.stdout}${r.stderr}`);
}

/** PEM block labels in order. */
/** `openssl <args>`, stdout and stderr together (pkcs12 -info writes its description to stderr). */
function openssl(args: string[]): string {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout + r.stderr;
}

const pemLabels = (pem: string): string[] => [...pem.matchAll(/-----BEGIN ([A-Z ]+)-----/g)].map((m) => m[1]!);

beforeAll(async () => {
  ca = createCa();
  server = issueServerCert(ca, { dnsNames: ["localhost"], ips: ["127.0.0.1"] });
  emu = await startKeyVaultEmulator({
    vaults: ["alpha", "beta"],
    tls: { cert: server.certPem, key: server.keyPem },
  });
});

afterAll(async () => {
  await emu?.close();
});

describe("secrets", () => {
  it("sets, gets and lists versions in two isolated vaults", async () => {
    const a = clients("alpha");
    const b = clients("beta");
    expect(a.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(a.url).not.toBe(b.url);
    const name = unique("shared");

    const a1 = await a.secrets.setSecret(name, "alpha-1", {
      contentType: "text/plain",
      tags: { owner: "t" },
    });
    const a2 = await a.secrets.setSecret(name, "alpha-2");
    const b1 = await b.secrets.setSecret(name, "beta-1");
    expect(a1.properties.version).toMatch(VERSION_RE);
    expect(a1.properties.id).toBe(`${a.url}/secrets/${name}/${a1.properties.version}`);
    expect(a1.properties.vaultUrl).toBe(a.url);
    expect(a1.properties.contentType).toBe("text/plain");
    expect(a1.properties.tags).toEqual({ owner: "t" });
    expect(a1.properties.enabled).toBe(true);
    expect(a1.properties.createdOn).toBeInstanceOf(Date);
    expect(a1.properties.recoveryLevel).toBe("Recoverable+Purgeable");

    expect((await a.secrets.getSecret(name)).value).toBe("alpha-2");
    expect(
      (
        await a.secrets.getSecret(name, {
          version: a1.properties.version ?? "",
        })
      ).value,
    ).toBe("alpha-1");
    expect((await b.secrets.getSecret(name)).value).toBe("beta-1");
    expect(b1.properties.id?.startsWith(b.url)).toBe(true);

    const versionsA: string[] = [];
    for await (const p of a.secrets.listPropertiesOfSecretVersions(name)) versionsA.push(p.version ?? "");
    expect(versionsA.sort()).toEqual([a1.properties.version, a2.properties.version].sort());
    const versionsB: string[] = [];
    for await (const p of b.secrets.listPropertiesOfSecretVersions(name)) versionsB.push(p.version ?? "");
    expect(versionsB).toEqual([b1.properties.version]);

    const onlyA = unique("only-alpha");
    await a.secrets.setSecret(onlyA, "x");
    await expectRestError(b.secrets.getSecret(onlyA), 404, "SecretNotFound");
    const namesB: string[] = [];
    for await (const p of b.secrets.listPropertiesOfSecrets()) namesB.push(p.name);
    expect(namesB).toContain(name);
    expect(namesB).not.toContain(onlyA);
  });

  it("pages version listings with nextLink (25 per page)", async () => {
    const { secrets } = clients("alpha");
    const name = unique("paged");
    for (let i = 0; i < 30; i++) emu.seedSecret("alpha", name, `v${i}`);
    emu.stats.reset();
    let count = 0;
    for await (const p of secrets.listPropertiesOfSecretVersions(name)) {
      expect(p.name).toBe(name);
      count++;
    }
    expect(count).toBe(30);
    expect(
      emu.stats.count({
        vault: "alpha",
        operation: "listSecretVersions",
        status: 200,
      }),
    ).toBe(2);
  });

  it("answers a disabled current version like the service (403 SecretDisabled); older versions stay readable", async () => {
    const { secrets } = clients("alpha");
    const name = unique("disabled");
    const v1 = await secrets.setSecret(name, "one");
    const v2 = await secrets.setSecret(name, "two");
    const updated = await secrets.updateSecretProperties(name, v2.properties.version ?? "", { enabled: false });
    expect(updated.enabled).toBe(false);
    const err = await expectRestError(secrets.getSecret(name), 403, "Forbidden");
    expect(err.message).toContain("disabled secret");
    // The SDK's parsed body: what the pusher classifies by, never the message.
    expect((err as { details?: unknown }).details).toMatchObject({ error: { code: "Forbidden", innerError: { code: "SecretDisabled" } } });
    expect((await secrets.getSecret(name, { version: v1.properties.version ?? "" })).value).toBe("one");
    // Listing shows the disabled version with enabled=false.
    const states = new Map<string, boolean | undefined>();
    for await (const p of secrets.listPropertiesOfSecretVersions(name)) states.set(p.version ?? "", p.enabled);
    expect(states.get(v2.properties.version ?? "")).toBe(false);
    expect(states.get(v1.properties.version ?? "")).toBe(true);
  });

  it("soft-deletes, blocks name reuse until purged", async () => {
    const { secrets } = clients("alpha");
    const name = unique("deleted");
    await secrets.setSecret(name, "x");
    const poller = await secrets.beginDeleteSecret(name, { intervalInMs: 10 });
    const deleted = await poller.pollUntilDone();
    expect(deleted.properties.recoveryId).toBe(`${emu.urlFor("alpha")}/deletedsecrets/${name}`);
    await expectRestError(secrets.getSecret(name), 404, "SecretNotFound");
    await expectRestError(secrets.setSecret(name, "y"), 409, "Conflict");
    await secrets.purgeDeletedSecret(name);
    expect((await secrets.setSecret(name, "y")).value).toBe("y");
  });
});

describe("protocol", () => {
  it("challenges unauthenticated requests with 401 + WWW-Authenticate, and the SDK gets through", async () => {
    const url = emu.urlFor("alpha");
    const res = await raw(`${url}/secrets/anything?api-version=7.6`);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(
      /^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}", resource="https:\/\/vault\.azure\.net"$/,
    );
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers["x-ms-request-id"]).toBeTruthy();
    expect(JSON.parse(res.body)).toMatchObject({
      error: { code: "Unauthorized" },
    });

    // A fresh client goes through the challenge once, then sends the token.
    emu.stats.reset();
    const { secrets } = clients("alpha");
    const name = unique("challenge");
    await secrets.setSecret(name, "v");
    await secrets.getSecret(name);
    expect(emu.stats.count({ vault: "alpha", status: 401 })).toBe(1);
    expect(emu.stats.count({ vault: "alpha", operation: "setSecret", status: 200 })).toBe(1);
  });

  it("rejects a missing or unknown api-version, unknown routes and oversized bodies with Key Vault errors", async () => {
    const url = emu.urlFor("alpha");
    const auth = { authorization: "Bearer x" };
    const missing = await raw(`${url}/secrets`, { headers: auth });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body).error.code).toBe("BadParameter");
    // Exactly the versions the REST specification documents, old ones included; any other gets Key Vault's answer.
    for (const v of [
      "2015-06-01",
      "2016-10-01",
      "7.0",
      "7.1-preview",
      "7.4-preview.1",
      "7.6",
      "2025-07-01",
      "2026-04-01",
      "2026-07-01-preview",
    ])
      expect((await raw(`${url}/secrets?api-version=${v}`, { headers: auth })).status, v).toBe(200);
    for (const v of ["7.7", "2026-02-01", "2016-10-01-preview", "latest"]) {
      const bad = await raw(`${url}/secrets?api-version=${v}`, { headers: auth });
      expect(bad.status, v).toBe(400);
      expect(JSON.parse(bad.body)).toEqual({
        error: {
          code: "BadParameter",
          message: `The specified version (${v}) is not recognized. Consider using the latest supported version (2026-04-01).`,
        },
      });
    }
    const unknown = await raw(`${url}/nothing/here?api-version=7.6`, {
      headers: auth,
    });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({
      error: { code: "NotFound" },
    });
    expect(unknown.headers["content-type"]).toBe("application/json; charset=utf-8");
    const big = await raw(`${url}/secrets/big?api-version=7.6`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ value: "x".repeat(1024 * 1024 + 10) }),
    });
    expect(big.status).toBe(413);
    const notFound = await raw(`${url}/secrets/nope/?api-version=7.6`, {
      headers: auth,
    });
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.body).error.code).toBe("SecretNotFound");
  });
});

describe("keys", () => {
  it("creates RSA and EC keys and returns their public JWKs", async () => {
    const { keys, url } = clients("alpha");
    const rsaName = unique("rsa");
    const rsa = await keys.createRsaKey(rsaName, { keySize: 2048 });
    expect(rsa.id).toMatch(new RegExp(`^${url}/keys/${rsaName}/[0-9a-f]{32}$`));
    expect(rsa.key?.kty).toBe("RSA");
    expect(rsa.key?.n?.length).toBe(256);
    expect([...(rsa.key?.e ?? [])]).toEqual([1, 0, 1]);
    expect(rsa.key?.d).toBeUndefined();
    expect(rsa.keyOperations).toContain("sign");
    const rsaPub = createPublicKey({
      key: {
        kty: "RSA",
        n: Buffer.from(rsa.key?.n ?? []).toString("base64url"),
        e: "AQAB",
      },
      format: "jwk",
    });
    expect(rsaPub.asymmetricKeyDetails?.modulusLength).toBe(2048);

    const ecName = unique("ec");
    const ec = await keys.createEcKey(ecName, { curve: "P-384" });
    expect(ec.key?.kty).toBe("EC");
    expect(ec.key?.crv).toBe("P-384");
    expect(ec.key?.x?.length).toBe(48);
    expect(ec.key?.y?.length).toBe(48);

    const got = await keys.getKey(ecName);
    expect(got.id).toBe(ec.id);
    expect(Buffer.from(got.key?.x ?? []).equals(Buffer.from(ec.key?.x ?? []))).toBe(true);
    const versions: string[] = [];
    for await (const p of keys.listPropertiesOfKeyVersions(ecName)) versions.push(p.version ?? "");
    expect(versions).toEqual([ec.properties.version]);

    // Import a JWK (public part kept).
    const imported = await keys.importKey(unique("imp"), {
      kty: "RSA",
      n: rsa.key?.n,
      e: rsa.key?.e,
    });
    expect(Buffer.from(imported.key?.n ?? []).equals(Buffer.from(rsa.key?.n ?? []))).toBe(true);
  });
});

function forgeCert(pem: string): forge.pki.Certificate {
  return forge.pki.certificateFromPem(pem);
}
function derOf(pem: string): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forgeCert(pem))).getBytes(), "binary");
}

describe("certificates", () => {
  it("imports a PFX with a 3-certificate chain; the backing secret is a PFX with all three, leaf first", async () => {
    const { certs, secrets, keys, url } = clients("alpha");
    const inter = issueIntermediateCa(ca, { commonName: "test intermediate" });
    const leaf = issueCert(inter, { dnsNames: ["app.example"] });
    // Built with node-forge (independent of the emulator's PFX writer), in a scrambled order, with a password.
    const p12 = forge.pkcs12.toPkcs12Asn1(
      forge.pki.privateKeyFromPem(leaf.keyPem) as forge.pki.rsa.PrivateKey,
      [forgeCert(ca.certPem), forgeCert(leaf.certPem), forgeCert(inter.certPem)],
      "pw",
      { algorithm: "3des" },
    );
    const pfxBytes = Buffer.from(forge.asn1.toDer(p12).getBytes(), "binary");
    const name = unique("chain");
    const imported = await certs.importCertificate(name, pfxBytes, {
      password: "pw",
      policy: {
        contentType: "application/x-pkcs12",
        issuerName: "Unknown",
        subject: "CN=app.example",
      },
    });
    const version = imported.properties.version ?? "";
    expect(version).toMatch(VERSION_RE);
    expect(imported.keyId).toBe(`${url}/keys/${name}/${version}`);
    expect(imported.secretId).toBe(`${url}/secrets/${name}/${version}`);
    expect(Buffer.from(imported.cer ?? []).equals(derOf(leaf.certPem))).toBe(true);
    expect(imported.properties.expiresOn).toBeInstanceOf(Date);
    expect(imported.policy?.contentType).toBe("application/x-pkcs12");

    const secret = await secrets.getSecret(name);
    expect(secret.properties.contentType).toBe("application/x-pkcs12");
    expect(secret.properties.managed).toBe(true);
    expect(secret.properties.certificateKeyId).toBe(imported.keyId);
    expect(secret.properties.version).toBe(version);
    const pfx = Buffer.from(secret.value ?? "", "base64");
    // Key Vault's PFX is keyed with the NULL password (see "certificate material as Key Vault serves it").
    const parsed = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(pfx.toString("binary")), true, null as unknown as string);
    const bagCerts = parsed.safeContents.flatMap((sc) => sc.safeBags).flatMap((b) => (b.cert ? [b.cert] : []));
    expect(bagCerts.map((c) => c.subject.getField("CN")?.value)).toEqual([
      "app.example",
      "kv-rotation-pusher test CA",
      "test intermediate",
    ]);
    expect(parsed.safeContents.flatMap((sc) => sc.safeBags).some((b) => b.key)).toBe(true);
    // OpenSSL (via node:tls) reads it too, with the empty password.
    expect(() => createSecureContext({ pfx, passphrase: "" })).not.toThrow();

    const key = await keys.getKey(name);
    expect(key.properties.managed).toBe(true);
    expect(key.properties.version).toBe(version);
    const got = await certs.getCertificate(name);
    expect(got.properties.x509Thumbprint).toEqual(imported.properties.x509Thumbprint);
  });

  it("imports a PFX without password (test helper's writer) and converts via outContentType", async () => {
    const { certs, secrets } = clients("beta");
    const leaf = issueCert(ca, { dnsNames: ["nopw.example"] });
    const name = unique("nopw");
    await certs.importCertificate(name, buildPfx(leaf.keyPem, [leaf.certPem, ca.certPem]));
    const secret = await secrets.getSecret(name);
    expect(secret.properties.contentType).toBe("application/x-pkcs12");
    const asPem = await secrets.getSecret(name, { outContentType: "application/x-pem-file" });
    expect(asPem.value?.match(/-----BEGIN CERTIFICATE-----/g)?.length).toBe(2);
    expect(asPem.value).toContain("-----BEGIN PRIVATE KEY-----");
  });

  it("imports PEM (key + chain) and serves PEM from the backing secret", async () => {
    const { certs, secrets } = clients("beta");
    const leaf = issueCert(ca, { dnsNames: ["pem.example"] });
    const pem = leaf.keyPem + leaf.certPem + ca.certPem;
    const name = unique("pem");
    await certs.importCertificate(name, Buffer.from(pem), {
      policy: { contentType: "application/x-pem-file" },
    });
    const secret = await secrets.getSecret(name);
    expect(secret.properties.contentType).toBe("application/x-pem-file");
    expect(secret.value).toContain("-----BEGIN PRIVATE KEY-----");
    const blocks = secret.value?.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
    expect(blocks.length).toBe(2);
    const first = new X509Certificate(secret.value?.slice(secret.value.indexOf("-----BEGIN CERTIFICATE-----")) ?? "");
    expect(first.subject).toBe("CN=pem.example");
  });

  it("creates self-signed certificates (RSA PKCS#12, EC PEM) through beginCreateCertificate", async () => {
    const { certs, secrets } = clients("alpha");
    const name = unique("self");
    const poller = await certs.beginCreateCertificate(
      name,
      {
        issuerName: "Self",
        subject: "CN=self.example",
        subjectAlternativeNames: { dnsNames: ["self.example"] },
      },
      { intervalInMs: 10 },
    );
    const cert = await poller.pollUntilDone();
    expect(cert.name).toBe(name);
    expect(cert.properties.version).toMatch(VERSION_RE);
    const x = new X509Certificate(Buffer.from(cert.cer ?? []));
    expect(x.subject).toBe("CN=self.example");
    expect(x.subjectAltName).toBe("DNS:self.example");
    expect(x.verify(x.publicKey)).toBe(true);
    const op = await certs.getCertificateOperation(name);
    expect(op.getOperationState().certificateOperation?.status).toBe("completed");
    const secret = await secrets.getSecret(name);
    expect(secret.properties.contentType).toBe("application/x-pkcs12");
    expect(() =>
      createSecureContext({
        pfx: Buffer.from(secret.value ?? "", "base64"),
        passphrase: "",
      }),
    ).not.toThrow();
    const policy = await certs.getCertificatePolicy(name);
    expect(policy.subject).toBe("CN=self.example");
    expect(policy.issuerName).toBe("Self");

    const ecName = unique("self-ec");
    const ecPoller = await certs.beginCreateCertificate(
      ecName,
      {
        issuerName: "Self",
        subject: "CN=ec.example",
        keyType: "EC",
        keyCurveName: "P-256",
        contentType: "application/x-pem-file",
      },
      { intervalInMs: 10 },
    );
    const ec = await ecPoller.pollUntilDone();
    const ex = new X509Certificate(Buffer.from(ec.cer ?? []));
    expect(ex.publicKey.asymmetricKeyType).toBe("ec");
    expect(ex.verify(ex.publicKey)).toBe(true);
    const ecSecret = await secrets.getSecret(ecName);
    expect(ecSecret.value).toContain("-----BEGIN PRIVATE KEY-----");
    // EC in a PKCS#12 backing secret (the emulator writes its own PFX, so EC keys work there too).
    const ec12 = unique("self-ec12");
    await (
      await certs.beginCreateCertificate(
        ec12,
        {
          issuerName: "Self",
          subject: "CN=ec12",
          keyType: "EC-HSM",
          keyCurveName: "P-384",
        },
        { intervalInMs: 10 },
      )
    ).pollUntilDone();
    const ec12Secret = await secrets.getSecret(ec12);
    expect(ec12Secret.properties.contentType).toBe("application/x-pkcs12");
    expect(() =>
      createSecureContext({
        pfx: Buffer.from(ec12Secret.value ?? "", "base64"),
        passphrase: "",
      }),
    ).not.toThrow();
    // A new version of an existing certificate keeps the policy.
    const again = await (
      await certs.beginCreateCertificate(name, { issuerName: "Self", subject: "CN=self.example" }, { intervalInMs: 10 })
    ).pollUntilDone();
    expect(again.properties.version).not.toBe(cert.properties.version);
    const versions: string[] = [];
    for await (const p of certs.listPropertiesOfCertificateVersions(name)) versions.push(p.version ?? "");
    expect(versions.length).toBe(2);
  });
});

describe("fault injection and stats", () => {
  it("503 twice, then success: the SDK retries", async () => {
    const { secrets } = clients("alpha");
    const name = unique("f503");
    await secrets.setSecret(name, "ok");
    emu.stats.reset();
    const h = emu.injectFaults({
      vault: "alpha",
      operation: "getSecret",
      times: 2,
      action: { type: "status", status: 503 },
    });
    expect((await secrets.getSecret(name)).value).toBe("ok");
    expect(h.hits).toBe(2);
    expect(h.remaining).toBe(0);
    expect(emu.stats.count({ operation: "getSecret", status: 503 })).toBe(2);
    expect(emu.stats.reads("alpha")).toBe(1);
  });

  it("429 with Retry-After is honoured", async () => {
    const { secrets } = clients("alpha");
    const name = unique("f429");
    await secrets.setSecret(name, "ok");
    emu.injectFaults({
      operation: "getSecret",
      name,
      action: { type: "status", status: 429, retryAfterSeconds: 1 },
    });
    const t0 = Date.now();
    expect((await secrets.getSecret(name)).value).toBe("ok");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });

  it("a connection reset surfaces as an error after the SDK's retries", async () => {
    const { secrets } = clients("alpha");
    const name = unique("reset");
    await secrets.setSecret(name, "ok");
    const h = emu.injectFaults({
      operation: "getSecret",
      name,
      times: 100,
      action: { type: "reset" },
    });
    const err = (await secrets.getSecret(name).then(
      () => undefined,
      (e: unknown) => e,
    )) as (Error & { code?: string }) | undefined;
    expect(err).toBeDefined();
    expect(err?.code).toBe("ECONNRESET");
    expect(h.hits).toBe(1 + FAST_RETRY.maxRetries);
    emu.clearFaults();
    expect((await secrets.getSecret(name)).value).toBe("ok");
  });

  it("a delay fault delays the answer", async () => {
    const { secrets } = clients("beta");
    const name = unique("delay");
    await secrets.setSecret(name, "ok");
    emu.injectFaults({
      vault: "beta",
      operation: "getSecret",
      action: { type: "delay", ms: 300 },
    });
    const t0 = Date.now();
    await secrets.getSecret(name);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it("counts successful object reads per vault and per object", async () => {
    const a = clients("alpha");
    const b = clients("beta");
    const names = [unique("r"), unique("r"), unique("r")];
    for (const nm of names) await a.secrets.setSecret(nm, nm);
    const certName = unique("rc");
    await (await a.certs.beginCreateCertificate(certName, { issuerName: "Self", subject: "CN=r" }, { intervalInMs: 10 })).pollUntilDone();
    await b.secrets.setSecret("beta-only", "x");
    emu.stats.reset();
    for (const nm of names) await a.secrets.getSecret(nm);
    await a.certs.getCertificate(certName);
    await b.secrets.getSecret("beta-only");
    await expectRestError(a.secrets.getSecret(unique("missing")), 404);
    for await (const p of a.secrets.listPropertiesOfSecrets()) void p;
    expect(emu.stats.reads("alpha")).toBe(4);
    expect(emu.stats.reads("beta")).toBe(1);
    expect(emu.stats.reads()).toBe(5);
    expect(emu.stats.readsOf("alpha", "secrets", names[0] ?? "")).toBe(1);
    expect(emu.stats.readsOf("alpha", "certificates", certName)).toBe(1);
    expect(emu.stats.byOperation("alpha")).toMatchObject({
      getSecret: 4,
      getCertificate: 1,
      listSecrets: 1,
    });
  });
});

describe("API versions the SDKs send by default (what production uses)", () => {
  it("secrets go out at the secrets SDK's default, keys and certificates at theirs; the emulator accepts them", async () => {
    const { secrets, keys, certs } = clients("beta");
    const name = unique("defaults");
    emu.stats.reset();
    await secrets.setSecret(name, "v");
    await secrets.getSecret(name);
    await keys.createEcKey(unique("defaults-key"));
    await (
      await certs.beginCreateCertificate(unique("defaults-cert"), { issuerName: "Self", subject: "CN=d" }, { intervalInMs: 10 })
    ).pollUntilDone();
    // @azure/keyvault-secrets 4.12 → 2026-04-01; @azure/keyvault-keys and -certificates 4.10 → 2025-07-01.
    expect(emu.stats.count({ operation: "getSecret", status: 200, apiVersion: "2026-04-01" })).toBe(1);
    expect(emu.stats.count({ operation: "createKey", status: 200, apiVersion: "2025-07-01" })).toBe(1);
    expect(emu.stats.count({ operation: "createCertificate", status: 202, apiVersion: "2025-07-01" })).toBe(1);
    expect(emu.stats.count({ status: 400 })).toBe(0);
  });
});

describe("disabled keys and certificates are served, their private part is not", () => {
  it("GET of a disabled key answers its public part with enabled=false; a disabled certificate's cer likewise, its secret 403 SecretDisabled", async () => {
    const { keys, certs, secrets } = clients("alpha");
    const keyName = unique("off-key");
    const k = await keys.createRsaKey(keyName);
    await keys.updateKeyProperties(keyName, k.properties.version!, { enabled: false });
    const got = await keys.getKey(keyName);
    expect(got.properties.enabled).toBe(false);
    expect(got.key?.n?.length).toBe(256);

    const certName = unique("off-cert");
    const c = await (
      await certs.beginCreateCertificate(certName, { issuerName: "Self", subject: "CN=off" }, { intervalInMs: 10 })
    ).pollUntilDone();
    await certs.updateCertificateProperties(certName, c.properties.version!, { enabled: false });
    const cert = await certs.getCertificate(certName);
    expect(cert.properties.enabled).toBe(false);
    expect(Buffer.from(cert.cer!).equals(Buffer.from(c.cer!))).toBe(true);
    const err = await expectRestError(secrets.getSecret(certName), 403, "Forbidden");
    expect((err as { details?: unknown }).details).toMatchObject({ error: { innerError: { code: "SecretDisabled" } } });
  });
});

describe("certificate material as Key Vault serves it", () => {
  it("the PFX behind a certificate: key in a 3DES shrouded bag, certificates in 3DES EncryptedData, SHA-1 MAC with 20-byte salt, 2,000 iterations, the NULL password", async () => {
    const { certs, secrets } = clients("alpha");
    const inter = issueIntermediateCa(ca, { commonName: "pfx intermediate" });
    const leaf = issueCert(inter, { dnsNames: ["pfx.example"] });
    const name = unique("pfx-layout");
    // Uploaded as a PFX of another layout (node-forge, AES, a password): Key Vault serves its own.
    const upload = forge.pkcs12.toPkcs12Asn1(
      forge.pki.privateKeyFromPem(leaf.keyPem) as forge.pki.rsa.PrivateKey,
      [forgeCert(leaf.certPem), forgeCert(inter.certPem)],
      "upload-pw",
    );
    await certs.importCertificate(name, Buffer.from(forge.asn1.toDer(upload).getBytes(), "binary"), { password: "upload-pw" });
    const secret = await secrets.getSecret(name);
    expect(secret.properties.contentType).toBe("application/x-pkcs12");
    const pfx = Buffer.from(secret.value!, "base64");
    const dir = await mkdtemp(join(tmpdir(), "kv-pfx-"));
    try {
      await writeFile(join(dir, "s.pfx"), pfx);
      // OpenSSL, an independent reader, describes the layout.
      const info = openssl(["pkcs12", "-info", "-noout", "-in", join(dir, "s.pfx"), "-passin", "pass:"]);
      const all = openssl(["pkcs12", "-info", "-nokeys", "-nocerts", "-in", join(dir, "s.pfx"), "-passin", "pass:"]);
      expect((info + all).split("\n").filter((l) => /MAC|Keybag|PKCS7|bag$/.test(l))).toEqual(
        expect.arrayContaining([
          "MAC: sha1, Iteration 2000",
          "MAC length: 20, salt length: 20",
          "PKCS7 Data",
          "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2000",
          "PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2000",
          "Certificate bag",
        ]),
      );
      const bags = openssl(["pkcs12", "-in", join(dir, "s.pfx"), "-passin", "pass:", "-nodes"]);
      expect(bags).toMatch(
        /localKeyID: 01 00 00 00 \n\s+friendlyName: \{[0-9A-F-]{36}\}\n\s+Microsoft CSP Name: Microsoft Enhanced Cryptographic Provider v1\.0\nKey Attributes\n\s+X509v3 Key Usage: 10/,
      );
      expect(bags).toMatch(/Bag Attributes: <Empty Attributes>\nsubject=CN\s?=\s?pfx intermediate/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // The MAC is keyed with the NULL password: "" (two zero bytes) does not verify, null does.
    const asn = forge.asn1.fromDer(pfx.toString("binary"));
    expect(() => forge.pkcs12.pkcs12FromAsn1(asn, true, "")).toThrow(/MAC could not be verified/);
    const p12 = forge.pkcs12.pkcs12FromAsn1(asn, true, null as unknown as string);
    const certBags = p12.safeContents.flatMap((sc) => sc.safeBags).filter((b) => b.cert);
    expect(certBags.map((b) => b.cert?.subject.getField("CN")?.value)).toEqual(["pfx.example", "pfx intermediate"]);
    // Node's TLS stack (OpenSSL) loads it with the empty password, as Key Vault's users do.
    expect(() => createSecureContext({ pfx, passphrase: "" })).not.toThrow();
  });

  it("a PEM certificate's secret: the PKCS#8 private key first, then the certificates leaf first", async () => {
    const { certs, secrets } = clients("beta");
    const leaf = issueCert(ca, { dnsNames: ["order.example"] });
    const name = unique("pem-order");
    // Imported in another order (chain first): Key Vault serves key, leaf, chain.
    await certs.importCertificate(name, Buffer.from(ca.certPem + leaf.certPem + leaf.keyPem), {
      policy: { contentType: "application/x-pem-file" },
    });
    const v = (await secrets.getSecret(name)).value!;
    expect(pemLabels(v)).toEqual(["PRIVATE KEY", "CERTIFICATE", "CERTIFICATE"]);
    expect(new X509Certificate(v.slice(v.indexOf("-----BEGIN CERTIFICATE-----"))).subject).toBe("CN=order.example");
    expect(v.endsWith("-----END CERTIFICATE-----\n")).toBe(true);
    expect(v.split("\n").every((l) => l.length <= 64)).toBe(true);
  });
});

describe("fault injection: any status, code and inner code, headers, an empty body, the challenge round trip", () => {
  it("a 403 with Key Vault's inner code reaches the SDK's parsed body; headers pass through", async () => {
    const { secrets } = clients("alpha");
    const name = unique("f403");
    await secrets.setSecret(name, "ok");
    emu.injectFaults({
      operation: "getSecret",
      name,
      action: {
        type: "status",
        status: 403,
        innerCode: "ForbiddenByConnection",
        message: "Public network access is disabled and request is not from a trusted service nor via an approved private link.",
        headers: { "x-ms-keyvault-network-info": "conn_type=Ipv4;addr=203.0.113.9;act_addr_fam=InterNetwork;" },
      },
    });
    const err = await expectRestError(secrets.getSecret(name), 403, "Forbidden");
    expect((err as { details?: unknown }).details).toMatchObject({
      error: { code: "Forbidden", innerError: { code: "ForbiddenByConnection" } },
    });
    expect((err as { response?: { headers: { get(n: string): string } } }).response?.headers.get("x-ms-keyvault-network-info")).toMatch(
      /203\.0\.113\.9/,
    );
  });

  it("an empty-body 503: no body, no content type", async () => {
    const url = emu.urlFor("alpha");
    emu.injectFaults({ operation: "listSecrets", action: { type: "status", status: 503, body: "empty", retryAfterSeconds: 2 } });
    const res = await raw(`${url}/secrets?api-version=7.6`, { headers: { authorization: "Bearer x" } });
    expect(res.status).toBe(503);
    expect(res.body).toBe("");
    expect(res.headers["content-type"]).toBeUndefined();
    expect(res.headers["retry-after"]).toBe("2");
  });

  it("faults on the first, unauthenticated request: the SDK retries the challenge and gets through", async () => {
    const { secrets } = clients("beta"); // a fresh client: its first request is the challenge
    const name = unique("challenge-fault");
    emu.seedSecret("beta", name, "ok");
    emu.stats.reset();
    const h = emu.injectFaults({ vault: "beta", operation: "getSecret", stage: "challenge", action: { type: "status", status: 503 } });
    expect((await secrets.getSecret(name)).value).toBe("ok");
    expect(h.hits).toBe(1);
    expect(emu.stats.count({ vault: "beta", operation: "getSecret", status: 503 })).toBe(1);
    expect(emu.stats.count({ vault: "beta", operation: "getSecret", status: 401 })).toBe(1);
    // An authenticated-stage rule does not fire on the challenge, and the reverse.
    const { secrets: fresh } = clients("beta");
    const never = emu.injectFaults({
      vault: "beta",
      operation: "getSecret",
      stage: "challenge",
      name: "no-such-name",
      action: { type: "reset" },
    });
    expect((await fresh.getSecret(name)).value).toBe("ok");
    expect(never.hits).toBe(0);
    never.cancel();
  });
});

describe("authentication as the SDK does it against Key Vault", () => {
  const TENANT = "0d7c4a6e-5a1f-4f0e-9a3b-7e2c1d0f9b11";
  let own: KeyVaultEmulator;
  beforeAll(async () => {
    own = await startKeyVaultEmulator({ vaults: ["auth"], tls: { cert: server.certPem, key: server.keyPem }, tenantId: TENANT });
  });
  afterAll(async () => {
    await own?.close();
  });
  const client = (cred: ReturnType<typeof recordingCredential>) =>
    new SecretClient(own.urlFor("auth"), cred, vaultClientOptions(ca.certPem, { retryOptions: FAST_RETRY }));

  it("asks the credential for https://vault.azure.net/.default in the tenant named by the challenge's authorization=", async () => {
    const cred = recordingCredential();
    const secrets = client(cred);
    const name = unique("auth");
    await secrets.setSecret(name, "v");
    await secrets.getSecret(name);
    expect(cred.requests).toEqual([{ scopes: ["https://vault.azure.net/.default"], tenantId: TENANT, enableCae: true }]);
    expect(own.stats.tokens("getSecret")).toEqual(["recorded-1"]);
  });

  it("a 401 invalid_token on an authenticated request: the SDK answers the challenge again and retries once; a persistent one fails with 401", async () => {
    const cred = recordingCredential();
    const secrets = client(cred);
    const name = unique("invalid-token");
    await secrets.setSecret(name, "v");
    const challenge = `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net", error="invalid_token"`;
    const once = own.injectFaults({
      operation: "getSecret",
      action: {
        type: "status",
        status: 401,
        code: "Unauthorized",
        message: "AKV10032: Invalid issuer.",
        headers: { "WWW-Authenticate": challenge },
      },
    });
    expect((await secrets.getSecret(name)).value).toBe("v");
    expect(once.hits).toBe(1);
    own.injectFaults({
      operation: "getSecret",
      times: 10,
      action: {
        type: "status",
        status: 401,
        code: "Unauthorized",
        message: "AKV10032: Invalid issuer.",
        headers: { "WWW-Authenticate": challenge },
      },
    });
    await expectRestError(secrets.getSecret(name), 401, "Unauthorized");
    own.clearFaults();
    expect(cred.requests.every((r) => r.tenantId === TENANT && r.scopes[0] === "https://vault.azure.net/.default")).toBe(true);
  });

  it("a CAE claims challenge (401 insufficient_claims): a new token with the decoded claims, the request retried with it", async () => {
    const cred = recordingCredential();
    const secrets = client(cred);
    const name = unique("cae");
    await secrets.setSecret(name, "v");
    const claims = '{"access_token":{"nbf":{"essential":true,"value":"1726077595"}}}';
    own.stats.reset();
    const h = own.injectFaults({
      operation: "getSecret",
      action: {
        type: "status",
        status: 401,
        code: "Unauthorized",
        message: "AKV10038: Token has been revoked.",
        headers: {
          "WWW-Authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${Buffer.from(claims).toString("base64")}"`,
        },
      },
    });
    expect((await secrets.getSecret(name)).value).toBe("v");
    expect(h.hits).toBe(1);
    const last = cred.requests[cred.requests.length - 1]!;
    expect(last).toMatchObject({ scopes: ["https://vault.azure.net/.default"], tenantId: TENANT, claims, enableCae: true });
    expect(own.stats.tokens("getSecret")).toEqual(["recorded-1", `recorded-${cred.requests.length}-claims`]);
  });
});

describe("process and persistence", () => {
  it("persists to a state file and reloads it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kv-emu-"));
    try {
      const stateFile = join(dir, "state.json");
      const tls = { cert: server.certPem, key: server.keyPem };
      const e1 = await startKeyVaultEmulator({ vaults: ["p"], tls, stateFile });
      const c1 = new SecretClient(e1.urlFor("p"), staticCredential(), vaultClientOptions(ca.certPem));
      const s = await c1.setSecret("persisted", "value-1");
      await new CertificateClient(e1.urlFor("p"), staticCredential(), vaultClientOptions(ca.certPem))
        .beginCreateCertificate("pc", { issuerName: "Self", subject: "CN=pc" }, { intervalInMs: 10 })
        .then((p) => p.pollUntilDone());
      await e1.close();
      expect(existsSync(stateFile)).toBe(true);
      const e2 = await startKeyVaultEmulator({ vaults: ["p"], tls, stateFile });
      try {
        const c2 = new SecretClient(e2.urlFor("p"), staticCredential(), vaultClientOptions(ca.certPem));
        const got = await c2.getSecret("persisted");
        expect(got.value).toBe("value-1");
        expect(got.properties.version).toBe(s.properties.version);
        expect((await c2.getSecret("pc")).properties.managed).toBe(true);
      } finally {
        await e2.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const distEntry = fileURLToPath(new URL("../../dist/test/env/keyvault-emulator.js", import.meta.url));
  it("runs as a child process and prints a ready line", async () => {
    buildIfStale(distEntry);
    const dir = await mkdtemp(join(tmpdir(), "kv-emu-cli-"));
    const { certFile, keyFile } = await writePemPair(dir, "server", server);
    await writeFile(join(dir, "ca.crt"), ca.certPem);
    const child = execFile(process.execPath, [distEntry, "--vaults", "one,two", "--cert-file", certFile, "--key-file", keyFile]);
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let buf = "";
        child.stdout?.on("data", (d: Buffer) => {
          buf += d.toString();
          const nl = buf.indexOf("\n");
          if (nl >= 0) resolve(buf.slice(0, nl));
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      const ready = JSON.parse(line) as {
        ready: boolean;
        vaults: Record<string, string>;
      };
      expect(ready.ready).toBe(true);
      expect(Object.keys(ready.vaults)).toEqual(["one", "two"]);
      const c = new SecretClient(ready.vaults.two ?? "", staticCredential(), vaultClientOptions(ca.certPem));
      expect((await c.setSecret("cli", "v")).value).toBe("v");
    } finally {
      child.kill("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
