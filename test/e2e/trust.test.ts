// Trust (README "Security"): a tenant who controls one namespace — SecretProviderClasses, Secrets
// (any data, labels, annotations, ownerReferences), pods, workloads and SecretProviderClassPodStatuses — but has no
// Key Vault role, tries to make the pusher copy another team's vault object into something it can read. Every entry
// point × object type × bait, on the real API server with the tenant's own token: 0 bytes of vault content reach
// anything the tenant can read, while the legitimate, driver-synced Secret of the owning team is still pushed.
import { createPrivateKey, createPublicKey, randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppsV1Api, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { run } from "../../shared/cli/run.js";
import { handleDelivery, RedeliveryNeeded } from "../../shared/entry/event-delivery.js";
import { handleHttpRequest } from "../../shared/entry/http-api.js";
import type { Report } from "../../shared/model/index.js";
import { reconcile } from "../../shared/pipeline/reconcile.js";
import { closeRuntime, type Runtime } from "../../shared/pipeline/runtime.js";
import { kubeConfigFor } from "../env/environment.js";
import { buildPfx, createCa, issueCert } from "../env/tls.js";
import type { RealDriver } from "../env/real-driver/test-driver.js";
import { LeakGuard } from "../reliability/support/leaks.js";
import {
  createNamespace,
  createSpc,
  createWorkload,
  driver,
  generation,
  keyVaultEvent,
  podTemplate,
  setRequiresRepublish,
  startWorld,
  uniqueName,
  type ClusterHandles,
  type World,
} from "../support/world.js";

type Kind = "secret" | "certificate" | "key";
const KINDS: Kind[] = ["secret", "certificate", "key"];
const BAITS = ["fresh", "guessed", "copied-metadata", "forged-spcps", "other-namespace-name"] as const;
type Bait = (typeof BAITS)[number];
const ENTRY_POINTS = [
  "event",
  "timer",
  "http rotate",
  "http plan",
  "http drift",
  "cli push",
  "cli plan",
  "cli drift",
  "cli event",
] as const;
type EntryPoint = (typeof ENTRY_POINTS)[number];
const WRITES: ReadonlySet<EntryPoint> = new Set(["event", "timer", "http rotate", "cli push", "cli event"]);

const leaks = new LeakGuard();
const ca = createCa({ commonName: "kvrp trust root" });
let w: World;
let c: ClusterHandles;
let rt: Runtime;
let tenantNs: string;
let tenant: { core: CoreV1Api; custom: CustomObjectsApi; apps: AppsV1Api };
const drivers: RealDriver[] = [];
/** Per entry point × kind × bait: did any tenant-readable byte change, or any vault byte appear? */
const matrix: { entry: EntryPoint; kind: Kind; bait: Bait; tenantSecretChanged: boolean }[] = [];

const SPC_GROUP = { group: "secrets-store.csi.x-k8s.io", version: "v1" } as const;
const secondLine = (pem: string) => pem.split("\n")[1]!;

/** A vault object of one kind, and how to rotate it; every version's sensitive bytes are registered with the guard. */
interface Target {
  kind: Kind;
  vault: "kv-alpha" | "kv-beta";
  name: string;
  /** How the SPC names it and what the synced Secret looks like. */
  objectType: "secret" | "key";
  secretType: "Opaque" | "kubernetes.io/tls";
  keys: string[];
  rotate(): Promise<string>;
}

function secretTarget(): Target {
  const name = uniqueName("team-b-db");
  return {
    kind: "secret",
    vault: "kv-alpha",
    name,
    objectType: "secret",
    secretType: "Opaque",
    keys: ["password"],
    async rotate() {
      const value = leaks.secret(`team-b-${randomBytes(12).toString("hex")}`);
      return (await w.secrets("kv-alpha").setSecret(name, value)).properties.version!;
    },
  };
}

function certificateTarget(): Target {
  const name = uniqueName("team-b-tls");
  return {
    kind: "certificate",
    vault: "kv-alpha",
    name,
    objectType: "secret",
    secretType: "kubernetes.io/tls",
    keys: ["tls.crt", "tls.key"],
    async rotate() {
      const leaf = issueCert(ca, { dnsNames: ["team-b.example"] });
      const key = createPrivateKey(leaf.keyPem);
      for (const type of ["pkcs8", "pkcs1"] as const) {
        const pem = key.export({ type, format: "pem" }).toString();
        leaks.secret(pem);
        leaks.secret(secondLine(pem));
      }
      const policy = { contentType: "application/x-pkcs12", issuerName: "Unknown", subject: "CN=team-b.example" } as const;
      return (await w.certs("kv-alpha").importCertificate(name, buildPfx(leaf.keyPem, [leaf.certPem, ca.certPem]), { policy })).properties
        .version!;
    },
  };
}

function keyTarget(): Target {
  const name = uniqueName("team-b-signing");
  return {
    kind: "key",
    vault: "kv-beta",
    name,
    objectType: "key",
    secretType: "Opaque",
    keys: ["key.pem"],
    async rotate() {
      const k = await w.keys("kv-beta").createRsaKey(name, { keySize: 2048 });
      const jwk = { kty: "RSA", n: Buffer.from(k.key!.n!).toString("base64url"), e: Buffer.from(k.key!.e!).toString("base64url") };
      const pem = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" }).toString();
      leaks.secret(secondLine(pem));
      return k.properties.version!;
    },
  };
}

/** The owning team's synced Secret (its name also baits the tenant's SPC that names a Secret of another namespace). */
const victimSecret = (t: Target) => `app-${t.kind}`;

/** A value the tenant writes: a guess of the right shape (a self-signed TLS pair for tls Secrets). */
function guess(t: Target): Record<string, string> {
  if (t.secretType === "kubernetes.io/tls") {
    const own = issueCert(createCa({ commonName: "tenant's own" }), { dnsNames: ["team-b.example"] });
    return { "tls.crt": own.certPem, "tls.key": own.keyPem };
  }
  return Object.fromEntries(t.keys.map((k) => [k, "hunter2-guess"]));
}
const b64 = (d: Record<string, string>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));

/** The team that may read the object: its SPC, the driver-synced Secret, a mounted pod and an env consumer. */
async function victim(t: Target) {
  const ns = await createNamespace(c, `victim-${t.kind}`);
  await createSpc(c, ns, {
    name: "app",
    vault: t.vault,
    objects: [{ objectName: t.name, objectType: t.objectType }],
    secretObjects: [{ secretName: victimSecret(t), type: t.secretType, data: t.keys.map((key) => ({ objectName: t.name, key })) }],
  });
  const d = await driver(w, c, [ns], "v1.6");
  drivers.push(d);
  await d.mount(ns, "app-0", "app");
  await createWorkload(c, ns, "Deployment", "api", { env: [victimSecret(t)] });
  return { ns, d };
}

/** The tenant's baits for one target, made with the tenant's own token in its own namespace. */
async function baits(t: Target, victimNs: string): Promise<Map<Bait, { secret: string; data: Record<string, string> }>> {
  const out = new Map<Bait, { secret: string; data: Record<string, string> }>();
  const real = await c.core.readNamespacedSecret({ namespace: victimNs, name: victimSecret(t) }); // the attacker's best case
  const victimPod = await c.core.readNamespacedPod({ namespace: victimNs, name: "app-0" });
  for (const bait of BAITS) {
    const spc = `${t.kind}-${bait}`;
    const secret = bait === "other-namespace-name" ? victimSecret(t) : spc;
    const objects = [{ objectName: t.name, objectType: t.objectType }];
    await tenant.custom.createNamespacedCustomObject({
      ...SPC_GROUP,
      namespace: tenantNs,
      plural: "secretproviderclasses",
      body: {
        apiVersion: "secrets-store.csi.x-k8s.io/v1",
        kind: "SecretProviderClass",
        metadata: { name: spc, namespace: tenantNs },
        spec: {
          provider: "azure",
          parameters: {
            keyvaultName: t.vault,
            tenantID: "00000000-0000-0000-0000-0000000000aa",
            objects: `array:\n${objects.map((o) => `  - |\n    objectName: ${o.objectName}\n    objectType: ${o.objectType}`).join("\n")}\n`,
          },
          secretObjects: [{ secretName: secret, type: t.secretType, data: t.keys.map((key) => ({ objectName: t.name, key })) }],
        },
      },
    });
    const data = bait === "fresh" ? Object.fromEntries(t.keys.map((k) => [k, "x"])) : guess(t);
    const metadata =
      bait === "copied-metadata"
        ? {
            name: secret,
            labels: real.metadata?.labels ?? { "secrets-store.csi.k8s.io/managed": "true" },
            annotations: real.metadata?.annotations ?? {},
            ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "app-0", uid: victimPod.metadata!.uid! }],
          }
        : { name: secret };
    await tenant.core.createNamespacedSecret({ namespace: tenantNs, body: { metadata, type: t.secretType, data: b64(data) } });
    if (bait === "forged-spcps") {
      const pod = `${spc}-0`;
      const created = await tenant.core.createNamespacedPod({
        namespace: tenantNs,
        body: { metadata: { name: pod }, spec: podTemplate(pod, { spc }).spec as never },
      });
      const current = (await c.custom.listNamespacedCustomObject({
        ...SPC_GROUP,
        namespace: victimNs,
        plural: "secretproviderclasspodstatuses",
      })) as {
        items: { status: { objects: { id: string; version: string }[] } }[];
      };
      await tenant.custom.createNamespacedCustomObject({
        ...SPC_GROUP,
        namespace: tenantNs,
        plural: "secretproviderclasspodstatuses",
        body: {
          apiVersion: "secrets-store.csi.x-k8s.io/v1",
          kind: "SecretProviderClassPodStatus",
          metadata: {
            name: `${pod}-${tenantNs}-${spc}`,
            ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: pod, uid: created.metadata!.uid! }],
          },
          status: {
            podName: pod,
            secretProviderClassName: spc,
            mounted: true,
            targetPath: "/forged",
            objects: current.items[0]!.status.objects,
          },
        },
      });
    }
    out.set(bait, { secret, data });
  }
  return out;
}

async function tenantSecret(name: string): Promise<Record<string, string>> {
  const s = await tenant.core.readNamespacedSecret({ namespace: tenantNs, name });
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

const collect = () => {
  const lines: string[] = [];
  return { lines, log: leaks.sink("pusher log", (_l, line) => lines.push(line)) };
};

/** Runs one entry point for the rotated target the way its trigger would; returns the reports it produced. */
async function enter(entry: EntryPoint, t: Target, version: string): Promise<Report[]> {
  const invocationId = randomUUID();
  const { log } = collect();
  const type = t.kind;
  const http = async (route: "rotate" | "plan" | "drift") => {
    const q = `vault=${t.vault}&objectName=${t.name}&objectType=${type}`;
    const out = await handleHttpRequest(rt, {
      route,
      method: route === "rotate" ? "POST" : "GET",
      url: route === "rotate" ? "/api/rotate" : route === "plan" ? `/api/plan?${q}` : "/api/drift",
      ...(route === "rotate"
        ? { bodyText: JSON.stringify({ vault: t.vault, objectName: t.name, objectType: type }), contentType: "application/json" }
        : {}),
      invocationId,
      log,
    });
    leaks.capture(`http ${route}`, out.jsonBody);
    expect(out.status, JSON.stringify(out.jsonBody).slice(0, 400)).toBe(200);
    return [out.jsonBody as Report];
  };
  const cli = async (argv: string[], stdin = "") => {
    let stdout = "";
    let stderr = "";
    const code = await run([...argv, "-o", "json"], {
      env: {
        KVRP_CLUSTERS: JSON.stringify([{ name: "c1", server: c.info.url, auth: "token", token: "unused" }]),
        KVRP_VAULTS: JSON.stringify([...w.vaults.values()].map((v) => ({ name: v.name, resourceId: v.resourceId, url: v.url }))),
      },
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s), isTTY: false } as never,
      readStdin: async () => stdin,
      runtime: () => rt,
    });
    leaks.capture(`cli ${argv[0]}`, stdout + stderr);
    expect(code, stderr).toBe(0);
    const parsed = JSON.parse(stdout) as Report | { report: Report };
    return ["report" in parsed ? parsed.report : parsed];
  };
  switch (entry) {
    case "event": {
      try {
        const out = await handleDelivery(rt, [keyVaultEvent(w, t.vault, kindEvent(type), t.name, version)], { invocationId, log });
        return out.report ? [out.report] : [];
      } catch (e) {
        if (e instanceof RedeliveryNeeded) throw new Error(`event failed: ${JSON.stringify(e.report.clusters.map((x) => x.failure))}`);
        throw e;
      }
    }
    case "timer":
      return [await reconcile(rt)];
    case "http rotate":
      return http("rotate");
    case "http plan":
      return http("plan");
    case "http drift":
      return http("drift");
    case "cli push":
      return cli(["push", "--vault", t.vault, "--name", t.name, "--type", type]);
    case "cli plan":
      return cli(["plan", "--vault", t.vault, "--name", t.name, "--type", type]);
    case "cli drift":
      return cli(["drift"]);
    case "cli event":
      return cli(["event", "-"], JSON.stringify([keyVaultEvent(w, t.vault, kindEvent(type), t.name, version)]));
  }
}
const kindEvent = (k: Kind) => (k === "secret" ? "Secret" : k === "certificate" ? "Certificate" : "Key");

beforeAll(async () => {
  w = await startWorld();
  c = w.clusters[0]!;
  await setRequiresRepublish(c, true);
  rt = w.runtime({}, ["c1"]);
  rt.config.driftGraceSeconds = 0;
  tenantNs = await createNamespace(c, "tenant");
  // The tenant's rights: everything namespaced that matters here, in its own namespace only (SPCPS included).
  const rbac = c.admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace: tenantNs,
    body: {
      metadata: { name: "tenant-admin" },
      rules: [
        { apiGroups: [""], resources: ["secrets", "pods", "events", "configmaps"], verbs: ["*"] },
        { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "daemonsets"], verbs: ["*"] },
        { apiGroups: ["secrets-store.csi.x-k8s.io"], resources: ["secretproviderclasses", "secretproviderclasspodstatuses"], verbs: ["*"] },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: tenantNs,
    body: {
      metadata: { name: "tenant-admin" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "tenant-admin" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "tenants" }],
    },
  });
  const kc = kubeConfigFor(c.info, c.info.tokens.tenant, "tenant");
  tenant = { core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi), apps: kc.makeApiClient(AppsV1Api) };
  await expect(tenant.core.listNamespacedSecret({ namespace: "default" }), "the tenant cannot read other namespaces").rejects.toMatchObject(
    {
      code: 403,
    },
  );
});

afterAll(async () => {
  await Promise.all(drivers.map((d) => d.stop()));
  if (rt) closeRuntime(rt);
  await w?.stop();
});

describe("a tenant cannot make the pusher move vault content it could not read", () => {
  for (const kind of KINDS)
    it(`${kind}: every entry point × bait leaves the tenant's Secrets as it wrote them; the owning team's Secret is pushed`, async () => {
      const t = kind === "secret" ? secretTarget() : kind === "certificate" ? certificateTarget() : keyTarget();
      await t.rotate();
      const v = await victim(t);
      const set = await baits(t, v.ns);
      const gen0 = await generation(c, v.ns, "Deployment", "api");
      let restarts = 0;
      for (const entry of ENTRY_POINTS) {
        // The owning team's mount follows each push (the driver skips republishes within its poll interval).
        await v.d.gateOpen();
        const version = await t.rotate();
        const before = (await c.core.readNamespacedSecret({ namespace: v.ns, name: victimSecret(t) })).data;
        const reports = await enter(entry, t, version);
        for (const r of reports) leaks.capture(`${entry} report`, r);
        for (const [bait, b] of set) {
          const now = await tenantSecret(b.secret);
          const changed = JSON.stringify(now) !== JSON.stringify(b.data);
          matrix.push({ entry, kind, bait, tenantSecretChanged: changed });
          expect(changed, `${entry} × ${kind} × ${bait}: the tenant's Secret ${b.secret} was written`).toBe(false);
        }
        // Every bait that lags was considered and refused for lack of proof (not merely missed).
        const refused = reports
          .flatMap((r) => r.clusters.flatMap((x) => x.actions))
          .filter((a) => a.target.startsWith(`Secret ${tenantNs}/`));
        expect(refused.filter((a) => a.status !== "skipped")).toEqual([]);
        if (entry !== "timer" && entry !== "http drift" && entry !== "cli drift")
          expect(new Set(refused.map((a) => a.reason.code)), `${entry} × ${kind}`).toEqual(new Set(["no-proof"]));
        // The legitimate path still works: the driver-synced Secret of the owning team moves (writes only).
        const after = (await c.core.readNamespacedSecret({ namespace: v.ns, name: victimSecret(t) })).data;
        if (WRITES.has(entry)) {
          const victimActions = reports.flatMap((r) => r.clusters.flatMap((x) => x.actions)).filter((a) => a.target.includes(v.ns));
          expect(after, `${entry}: the owning team's Secret is pushed (${JSON.stringify(victimActions)})`).not.toEqual(before);
          restarts++;
          await v.d.idle();
        } else expect(after, `${entry} is a dry run`).toEqual(before);
      }
      expect(await generation(c, v.ns, "Deployment", "api"), "the env consumer restarted once per pushed version").toBe(gen0 + restarts);
    });

  it("nothing the tenant can read holds a byte of any version (Secrets, Events, pods, workloads, SPCs, SPCPS)", async () => {
    await rt.events?.drain(); // Events are recorded in the background after each invocation
    const list = async (plural: string) =>
      (await tenant.custom.listNamespacedCustomObject({ ...SPC_GROUP, namespace: tenantNs, plural })) as { items: unknown[] };
    leaks.capture("tenant: secrets", await tenant.core.listNamespacedSecret({ namespace: tenantNs }));
    const events = await tenant.core.listNamespacedEvent({ namespace: tenantNs });
    leaks.capture("tenant: events", events);
    leaks.capture("tenant: pods", await tenant.core.listNamespacedPod({ namespace: tenantNs }));
    leaks.capture("tenant: deployments", await tenant.apps.listNamespacedDeployment({ namespace: tenantNs }));
    leaks.capture("tenant: spcs", await list("secretproviderclasses"));
    leaks.capture("tenant: spcps", await list("secretproviderclasspodstatuses"));
    // The tenant is told, without details, that its Secrets were not written.
    const refusals = events.items.filter((e) => e.reason === "PushRefused");
    expect(refusals.length).toBeGreaterThan(0);
    for (const e of refusals) expect(e.type).toBe("Warning");
    expect(leaks.valueCount).toBeGreaterThanOrEqual(KINDS.length * ENTRY_POINTS.length);
    expect(leaks.scan()).toEqual([]);
    const attempts = matrix.length;
    const writes = matrix.filter((m) => m.tenantSecretChanged).length;
    console.log(
      `[trust] attack matrix: ${ENTRY_POINTS.length} entry points × ${KINDS.length} object kinds × ${BAITS.length} baits = ${attempts} attempts; ` +
        `tenant Secrets written: ${writes}; vault values registered: ${leaks.valueCount}; leaks found in what the tenant can read: ${leaks.scan().length}; ` +
        `PushRefused Events: ${refusals.length}`,
    );
    expect(attempts).toBe(ENTRY_POINTS.length * KINDS.length * BAITS.length);
    expect(writes).toBe(0);
  });
});
