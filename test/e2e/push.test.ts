// The event path end to end: a real Key Vault event delivered to the registered Event Grid function, real API
// servers (restricted RBAC token), the Key Vault emulator through the SDK, and the real Secrets Store CSI driver
// v1.6 + Azure provider (kubelet stand-in, --rotation-poll-interval 2s); the v1.5 case on the real legacy driver v1.5.6.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverEvents, loadFunctionApp, registered } from "../support/functions-host.js";
import { getRuntime, setRuntime } from "../../shared/pipeline/instance.js";
import type { Report } from "../../shared/report/report.js";
import {
  createNamespace,
  createSpc,
  createWorkload,
  driver,
  generation,
  keyVaultEvent,
  secretData,
  setRequiresRepublish,
  startWorld,
  uniqueName,
  type World,
} from "../support/world.js";
import { RedeliveryNeeded } from "../../shared/entry/event-delivery.js";
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import { buildPfx, createCa, issueCert, issueIntermediateCa } from "../env/tls.js";

const ca = createCa({ commonName: "kvrp test root" });

let w: World;
const logs: string[] = [];

beforeAll(async () => {
  w = await startWorld();
  await loadFunctionApp();
});
afterAll(async () => {
  setRuntime(undefined);
  await w?.stop();
});

/**
 * Delivers events the way the Functions host does: each event of the delivery as worker invocation data
 * (`{json}` trigger input + `data` trigger metadata) through the programming model @azure/functions registered.
 */
async function deliver(event: unknown): Promise<void> {
  expect(registered("onKeyVaultEvent").bindings.find((b) => b.direction === "in")?.type).toBe("eventGridTrigger");
  await deliverEvents(event, { log: (l) => logs.push(l) });
}

function lastReport(): Report {
  const line = [...logs].reverse().find((l) => l.includes('"push summary"'));
  expect(line, "a push summary was logged").toBeDefined();
  return JSON.parse(line!) as Report;
}

describe("secret rotation, real v1.6 driver (requiresRepublish)", () => {
  it("patches synced Secrets in two namespaces, keeps other keys, nudges pods, restarts env consumers once", async () => {
    const c = w.clusters[0]!;
    await setRequiresRepublish(c, true);
    setRuntime(w.runtime({}, ["c1"]));
    const secretName = uniqueName("db-password");
    const v1 = await w.secrets("kv-alpha").setSecret(secretName, "old-password-1");
    const nsA = await createNamespace(c, "push-a");
    const nsB = await createNamespace(c, "push-b");
    const d = await driver(w, c, [nsA, nsB], "v1.6");
    try {
      for (const ns of [nsA, nsB]) {
        await createSpc(c, ns, {
          name: "app-secrets",
          vault: "kv-alpha",
          objects: [
            { objectName: secretName, objectType: "secret" },
            { objectName: "static-config", objectType: "secret", objectAlias: "config" },
          ],
          secretObjects: [
            {
              secretName: "app-creds",
              type: "Opaque",
              data: [
                { objectName: secretName, key: "password" },
                { objectName: "config", key: "config" },
              ],
            },
          ],
        });
      }
      await w.secrets("kv-alpha").setSecret("static-config", "unchanged-config");
      for (const ns of [nsA, nsB]) {
        await d.mount(ns, "app-0", "app-secrets");
        await d.mount(ns, "app-1", "app-secrets");
      }
      // The driver's own writes settle (owner references), and its refetch gate opens: a nudge right after a mount
      // would be skipped (now < mtime + --rotation-poll-interval), see real-driver.test.ts.
      await d.ownersSettled();
      await d.gateOpen();
      await createWorkload(c, nsA, "Deployment", "api", { env: ["app-creds"], spc: "app-secrets" });
      await createWorkload(c, nsA, "StatefulSet", "worker", { envFrom: ["app-creds"] });
      await createWorkload(c, nsA, "Deployment", "files-only", { spc: "app-secrets", secretVolume: "app-creds" });
      const gens0 = [
        await generation(c, nsA, "Deployment", "api"),
        await generation(c, nsA, "StatefulSet", "worker"),
        await generation(c, nsA, "Deployment", "files-only"),
      ];
      expect((await secretData(c, nsA, "app-creds")).password).toBe("old-password-1");

      const v2 = await w.secrets("kv-alpha").setSecret(secretName, "new-password-2");
      const readsBefore = w.emulator.stats.reads();
      await deliver([keyVaultEvent(w, "kv-alpha", "Secret", secretName, v2.properties.version!)]);
      const rep = lastReport();
      expect(rep.counts.secretsPatched).toBe(2);
      expect(rep.counts.podsNudged).toBe(4);
      expect(rep.counts.workloadsRestarted).toBe(2);
      // One read of the latest version. Proofs on a cold instance (no pod-status cache yet to say where to look): the
      // version listing, then the version both Secrets hold, read once and shared — and, when both versions were created
      // in the same second (Key Vault's resolution), one re-read of the latest to order them.
      const sameSecond = v1.properties.createdOn!.getTime() === v2.properties.createdOn!.getTime();
      expect(rep.vaultReads - rep.proofReads).toBe(1);
      expect(rep.proofReads).toBe(sameSecond ? 3 : 2);
      for (const ns of [nsA, nsB]) {
        const data = await secretData(c, ns, "app-creds");
        expect(data.password).toBe("new-password-2");
        expect(data.config).toBe("unchanged-config");
      }
      // kubelet republished every nudged pod and the driver re-fetched: mounts hold the provider's new files, and
      // the driver's Secret sync (on the SPCPS change) agrees with the pushed bytes — no flip back
      await d.idle();
      expect(d.republishes).toBe(4);
      // The pusher: the latest version + the version the Secrets held (its proof, shared by both); then each of the 4
      // nudged mounts re-fetches its two objects.
      expect(w.emulator.stats.reads() - readsBefore).toBe(2 + 4 * 2);
      for (const ns of [nsA, nsB])
        for (const pod of ["app-0", "app-1"])
          expect(d.files(ns, pod)).toEqual({ [secretName]: "new-password-2", config: "unchanged-config" });
      await d.requeue(); // the driver's periodic requeue (forced by a restart) rebuilds Secrets from mounts: must not revert
      for (const ns of [nsA, nsB]) expect((await secretData(c, ns, "app-creds")).password).toBe("new-password-2");
      const spcps = (await c.custom.listNamespacedCustomObject({
        group: "secrets-store.csi.x-k8s.io",
        version: "v1",
        namespace: nsA,
        plural: "secretproviderclasspodstatuses",
      })) as {
        items: { status: { objects: { id: string; version: string }[] } }[];
      };
      for (const p of spcps.items)
        expect(p.status.objects.find((o) => o.id === `secret/${secretName}`)?.version).toBe(v2.properties.version);
      const gens1 = [
        await generation(c, nsA, "Deployment", "api"),
        await generation(c, nsA, "StatefulSet", "worker"),
        await generation(c, nsA, "Deployment", "files-only"),
      ];
      expect(gens1[0]).toBe(gens0[0]! + 1);
      expect(gens1[1]).toBe(gens0[1]! + 1);
      expect(gens1[2]).toBe(gens0[2]);

      // the same event three times, and an older one after it: nothing further changes
      const rvBefore = (await c.core.readNamespacedSecret({ namespace: nsA, name: "app-creds" })).metadata?.resourceVersion;
      for (let i = 0; i < 3; i++) await deliver([keyVaultEvent(w, "kv-alpha", "Secret", secretName, v2.properties.version!)]);
      await deliver([keyVaultEvent(w, "kv-alpha", "Secret", secretName, v1.properties.version!, new Date(Date.now() - 60_000))]);
      const again = lastReport();
      expect(again.counts.secretsPatched).toBe(0);
      expect(again.counts.podsNudged).toBe(0);
      expect(again.counts.workloadsRestarted).toBe(0);
      expect((await c.core.readNamespacedSecret({ namespace: nsA, name: "app-creds" })).metadata?.resourceVersion).toBe(rvBefore);
      expect([await generation(c, nsA, "Deployment", "api"), await generation(c, nsA, "StatefulSet", "worker")]).toEqual(gens1.slice(0, 2));

      // Events on touched objects (recorded in the background after each invocation), never a value
      await getRuntime().events?.drain();
      const events = await c.core.listNamespacedEvent({ namespace: nsA });
      const reasons = new Set(events.items.filter((e) => e.source?.component === "kv-rotation-pusher").map((e) => e.reason));
      expect(reasons).toEqual(new Set(["SecretPushed", "MountRefreshRequested", "RolloutTriggered"]));
      for (const e of events.items) expect(e.message ?? "").not.toContain("new-password-2");
      for (const l of [...logs, d.node.driverLog()]) {
        expect(l).not.toContain("new-password-2");
        expect(l).not.toContain(Buffer.from("new-password-2").toString("base64"));
      }
    } finally {
      await d.stop();
    }
  });

  it("skips pinned versions and never creates a Secret that the driver has not synced", async () => {
    const c = w.clusters[0]!;
    setRuntime(w.runtime({}, ["c1"]));
    const name = uniqueName("pinned");
    const v1 = await w.secrets("kv-alpha").setSecret(name, "p1");
    const ns = await createNamespace(c, "pin");
    await createSpc(c, ns, {
      name: "pinned",
      vault: "kv-alpha",
      objects: [{ objectName: name, objectType: "secret", objectVersion: v1.properties.version! }],
      secretObjects: [{ secretName: "pinned-secret", type: "Opaque", data: [{ objectName: name, key: "v" }] }],
    });
    await createSpc(c, ns, {
      name: "unsynced",
      vault: "kv-alpha",
      objects: [{ objectName: name, objectType: "secret", objectAlias: "alias" }],
      secretObjects: [{ secretName: "never-synced", type: "Opaque", data: [{ objectName: "alias", key: "v" }] }],
    });
    const v2 = await w.secrets("kv-alpha").setSecret(name, "p2");
    await deliver([keyVaultEvent(w, "kv-alpha", "Secret", name, v2.properties.version!)]);
    const rep = lastReport();
    expect(rep.skipsByReason["pinned-version"]).toBe(1);
    expect(rep.skipsByReason["secret-not-synced"]).toBe(1);
    await expect(c.core.readNamespacedSecret({ namespace: ns, name: "never-synced" })).rejects.toMatchObject({ code: 404 });
  });
});

describe("certificates and keys", () => {
  it("a certificate rotation fills a kubernetes.io/tls Secret by the driver's rules (all certs leaf→root, last key as PKCS#1)", async () => {
    const c = w.clusters[0]!;
    setRuntime(w.runtime({}, ["c1"]));
    const name = uniqueName("tls");
    const issue = () => {
      const inter = issueIntermediateCa(ca, { commonName: "kvrp intermediate" });
      const leaf = issueCert(inter, { dnsNames: ["app.example"] });
      // scrambled order in the PFX: the provider orders the chain itself
      return { leaf, inter, pfx: buildPfx(leaf.keyPem, [ca.certPem, leaf.certPem, inter.certPem]) };
    };
    const first = issue();
    const policy = { contentType: "application/x-pkcs12", issuerName: "Unknown", subject: "CN=app.example" } as const;
    await w.certs("kv-alpha").importCertificate(name, first.pfx, { policy });
    const ns = await createNamespace(c, "tls");
    const d = await driver(w, c, [ns], "v1.6");
    try {
      await createSpc(c, ns, {
        name: "tls",
        vault: "kv-alpha",
        objects: [{ objectName: name, objectType: "secret" }],
        secretObjects: [
          {
            secretName: "ingress-tls",
            type: "kubernetes.io/tls",
            data: [
              { objectName: name, key: "tls.crt" },
              { objectName: name, key: "tls.key" },
            ],
          },
        ],
      });
      await d.mount(ns, "ing-0", "tls");
      await d.gateOpen();
      const second = issue();
      const v2 = await w.certs("kv-alpha").importCertificate(name, second.pfx, { policy });
      await deliver([keyVaultEvent(w, "kv-alpha", "Certificate", name, v2.properties.version!)]);
      expect(lastReport().counts.secretsPatched).toBe(1);
      const data = await secretData(c, ns, "ingress-tls");
      const der = (pem: string) => new X509Certificate(pem).raw.toString("hex");
      const blocks = data["tls.crt"]!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];
      expect(blocks.map(der)).toEqual([second.leaf.certPem, second.inter.certPem, ca.certPem].map(der));
      expect(data["tls.key"]).toBe(createPrivateKey(second.leaf.keyPem).export({ type: "pkcs1", format: "pem" }));
      // the provider's file: the key (PKCS#8) first, then the chain leaf → root
      await d.idle();
      const file = d.files(ns, "ing-0")[name]!;
      expect(file.match(/-----BEGIN [A-Z ]+-----/g)).toEqual([
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----",
      ]);
      // the driver rebuilds tls.crt/tls.key from that file (SPCPS change, and again at its requeue): the pushed
      // bytes are exactly what it derives, so nothing flips
      await d.requeue();
      expect(await secretData(c, ns, "ingress-tls")).toEqual(data);
    } finally {
      await d.stop();
    }
  });

  it("a key rotation writes the public key as PKIX PEM", async () => {
    const c = w.clusters[0]!;
    setRuntime(w.runtime({}, ["c1"]));
    const name = uniqueName("signing");
    await w.keys("kv-beta").createRsaKey(name, { keySize: 2048 });
    const ns = await createNamespace(c, "key");
    const d = await driver(w, c, [ns], "v1.6");
    try {
      await createSpc(c, ns, {
        name: "k",
        vault: "kv-beta",
        objects: [{ objectName: name, objectType: "key", objectAlias: "signing.pem" }],
        secretObjects: [{ secretName: "pub", type: "Opaque", data: [{ objectName: "signing.pem", key: "key.pem" }] }],
      });
      await d.mount(ns, "k-0", "k");
      await d.gateOpen();
      const k2 = await w.keys("kv-beta").createEcKey(name, { curve: "P-256" });
      await deliver([keyVaultEvent(w, "kv-beta", "Key", name, k2.properties.version!)]);
      const jwk = {
        kty: "EC",
        crv: "P-256",
        x: Buffer.from(k2.key!.x!).toString("base64url"),
        y: Buffer.from(k2.key!.y!).toString("base64url"),
      };
      const expected = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" });
      expect((await secretData(c, ns, "pub"))["key.pem"]).toBe(expected);
      await d.idle();
      expect(d.files(ns, "k-0")).toEqual({ "signing.pem": expected });
      await d.requeue();
      expect((await secretData(c, ns, "pub"))["key.pem"]).toBe(expected);
    } finally {
      await d.stop();
    }
  });
});

describe("driver without republish (v1.5)", () => {
  it("patches the Secret but reports mounts as waiting for the driver's poll (real legacy driver v1.5.6)", async () => {
    const c = w.clusters[0]!;
    await setRequiresRepublish(c, false);
    setRuntime(w.runtime({}, ["c1"]));
    const name = uniqueName("legacy");
    await w.secrets("kv-alpha").setSecret(name, "l1");
    const ns = await createNamespace(c, "v15");
    const d = await driver(w, c, [ns], "v1.5");
    try {
      await createSpc(c, ns, {
        name: "legacy",
        vault: "kv-alpha",
        objects: [{ objectName: name, objectType: "secret" }],
        secretObjects: [{ secretName: "legacy", type: "Opaque", data: [{ objectName: name, key: "v" }] }],
      });
      await d.mount(ns, "legacy-0", "legacy");
      const v2 = await w.secrets("kv-alpha").setSecret(name, "l2");
      await deliver([keyVaultEvent(w, "kv-alpha", "Secret", name, v2.properties.version!)]);
      const rep = lastReport();
      expect(rep.counts.secretsPatched).toBe(1);
      expect(rep.counts.podsNudged).toBe(0);
      expect(rep.skipsByReason["driver-no-republish"]).toBe(1);
      expect((await secretData(c, ns, "legacy")).v).toBe("l2");
      expect(d.files(ns, "legacy-0"), "the mount waits for the legacy driver's rotation poll").toEqual({ [name]: "l1" });
    } finally {
      await d.stop();
      await setRequiresRepublish(c, true);
    }
  });
});

describe("source verification", () => {
  it("rejects a vault outside the allow-list and a topic that does not match, touching nothing", async () => {
    const c = w.clusters[0]!;
    setRuntime(w.runtime({}, ["c1"]));
    const name = uniqueName("forged");
    await w.secrets("kv-alpha").setSecret(name, "f1");
    const ns = await createNamespace(c, "forged");
    const d = await driver(w, c, [ns], "v1.6");
    try {
      await createSpc(c, ns, {
        name: "f",
        vault: "kv-alpha",
        objects: [{ objectName: name, objectType: "secret" }],
        secretObjects: [{ secretName: "f", type: "Opaque", data: [{ objectName: name, key: "v" }] }],
      });
      await d.mount(ns, "f-0", "f");
      const v2 = await w.secrets("kv-alpha").setSecret(name, "f2");
      const rv = (await c.core.readNamespacedSecret({ namespace: ns, name: "f" })).metadata?.resourceVersion;
      const unknownVault = {
        ...keyVaultEvent(w, "kv-alpha", "Secret", name, v2.properties.version!),
        topic: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-evil",
      };
      const mismatched = {
        ...keyVaultEvent(w, "kv-alpha", "Secret", name, v2.properties.version!),
        topic: "/subscriptions/other/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-alpha",
      };
      const before = logs.length;
      await deliver([unknownVault]);
      await deliver([mismatched]);
      const rejections = logs.slice(before).filter((l) => l.includes('"event rejected"'));
      expect(rejections).toHaveLength(2);
      expect((await c.core.readNamespacedSecret({ namespace: ns, name: "f" })).metadata?.resourceVersion).toBe(rv);
      expect((await secretData(c, ns, "f")).v).toBe("f1");
    } finally {
      await d.stop();
    }
  });
});

describe("two clusters", () => {
  it("serves the live cluster fully and fails the invocation for redelivery when the other is down", async () => {
    const c1 = w.clusters[0]!;
    const extra = await w.startExtraCluster("outage");
    const c2 = extra.handles;
    setRuntime(w.runtime({}, ["c1", "outage"], [c2.info]));
    const name = uniqueName("multi");
    await w.secrets("kv-beta").setSecret(name, "m1");
    const ns1 = await createNamespace(c1, "multi");
    const ns2 = await createNamespace(c2, "multi");
    const d1 = await driver(w, c1, [ns1], "v1.6");
    const d2 = await driver(w, c2, [ns2], "v1.6");
    const spec = {
      name: "m",
      vault: "kv-beta",
      objects: [{ objectName: name, objectType: "secret" }],
      secretObjects: [{ secretName: "m", type: "Opaque", data: [{ objectName: name, key: "v" }] }],
    };
    try {
      await createSpc(c1, ns1, spec);
      await createSpc(c2, ns2, spec);
      await d1.mount(ns1, "m-0", "m");
      await d2.mount(ns2, "m-0", "m");
      await d2.stop();
      await d1.gateOpen(); // else the driver skips c1's nudge (mount changed within its interval) and redelivery nudges again
      const v2 = await w.secrets("kv-beta").setSecret(name, "m2");
      await extra.server.stop();
      try {
        await expect(deliver([keyVaultEvent(w, "kv-beta", "Secret", name, v2.properties.version!)])).rejects.toBeInstanceOf(
          RedeliveryNeeded,
        );
        expect((await secretData(c1, ns1, "m")).v).toBe("m2");
        await d1.idle();
        expect(d1.files(ns1, "m-0")).toEqual({ [name]: "m2" });
      } finally {
        await extra.server.restart();
      }
      await deliver([keyVaultEvent(w, "kv-beta", "Secret", name, v2.properties.version!)]);
      // redelivery finishes the recovered cluster without redoing the other
      const c1Result = [...logs].reverse().find((l) => l.includes('"push result"') && l.includes('"cluster":"c1"'));
      expect(JSON.parse(c1Result!).actions).toEqual([]);
      expect((await secretData(c2, ns2, "m")).v).toBe("m2");
    } finally {
      await d1.stop();
    }
  });
});
