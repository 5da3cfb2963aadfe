// The plan is pure: these tests build inventories by hand and check every decision and its reason.
import { describe, expect, it } from "vitest";
import { toSpc, toWorkload } from "../../../shared/kube/translate.js";
import { POD_REFRESH, templateKey } from "../../../shared/lib/annotations.js";
import type {
  Action,
  ClusterInventory,
  ObjectState,
  Policy,
  RotationSignal,
  SecretState,
  SpcpsState,
} from "../../../shared/model/index.js";
import {
  analyzeSecrets,
  compareCreated,
  planCluster,
  planSecrets,
  restartPlan,
  type OrderOf,
  type PlanContext,
  type PlannedObject,
  type Proof,
} from "../../../shared/plan/plan.js";
import { providerRenderer } from "../../../shared/pipeline/renderer.js";

const V1 = "1".repeat(32);
const V2 = "2".repeat(32);
const b64 = (s: string) => Buffer.from(s).toString("base64");

const policy = (p: Partial<Policy> = {}): Policy => ({
  restart: "env",
  mountRefresh: "nudge",
  namespacesInclude: [],
  namespacesExclude: [],
  ...p,
});
const ctx = (p: Partial<Policy> = {}, extra: Partial<PlanContext> = {}): PlanContext => ({
  policy: policy(p),
  trigger: "event",
  now: new Date("2026-11-27T12:00:00Z"),
  vaults: new Map([["kv-a", {}]]),
  render: providerRenderer,
  ...extra,
});
const signal: RotationSignal = {
  vault: "kv-a",
  objectType: "secret",
  objectName: "db",
  eventTime: "2026-11-27T12:00:00Z",
  source: "eventgrid",
};
const vault = (value = "new", created = new Date("2026-11-27T11:59:00Z")): ObjectState => ({
  vault: "kv-a",
  objectName: "db",
  byType: { secret: { data: { kind: "secret", name: "db", version: V2, value }, created } },
});

/** The plan with every lagging Secret proven to hold V1 (the driver's previous sync), unless `proof` says otherwise. */
function plan(signal: RotationSignal, i: ClusterInventory, state: ObjectState, c: PlanContext, proof: Proof = { proven: V1 }): Action[] {
  const objects: PlannedObject[] = [{ signal, state }];
  const proofs = new Map(analyzeSecrets(objects, i, c).behind.map((t) => [t.id, proof]));
  return planCluster(objects, i, c, proofs);
}

function spc(
  ns: string,
  name: string,
  objects: string,
  secretObjects: unknown[] = [{ secretName: "creds", type: "Opaque", data: [{ objectName: "db", key: "password" }] }],
  keyvaultName = "kv-a",
) {
  return toSpc({
    metadata: { namespace: ns, name },
    spec: { provider: "azure", parameters: { keyvaultName, objects }, secretObjects: secretObjects as never },
  });
}
const objs = (...lines: string[]) => `array:\n${lines.map((l) => `  - |\n    ${l.split("\n").join("\n    ")}`).join("\n")}\n`;
const plain = objs("objectName: db\nobjectType: secret");

function secret(ns: string, name: string, data: Record<string, string>, annotations: Record<string, string> = {}): SecretState {
  return {
    namespace: ns,
    name,
    type: "Opaque",
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    annotations,
    resourceVersion: "1",
  };
}
const pod = (ns: string, podName: string, spcName: string, version = V1): SpcpsState => ({
  namespace: ns,
  name: `${podName}-${ns}-${spcName}`,
  podName,
  spcName,
  versions: { "secret/db": version },
});

function workload(
  kind: "Deployment" | "StatefulSet" | "DaemonSet",
  ns: string,
  name: string,
  use: { env?: string; envFrom?: string; init?: string; volume?: string; spc?: string },
  annotations: Record<string, string> = {},
  template: Record<string, string> = {},
  paused = false,
) {
  const container = {
    env: use.env ? [{ valueFrom: { secretKeyRef: { name: use.env } } }] : [],
    envFrom: use.envFrom ? [{ secretRef: { name: use.envFrom } }] : [],
  };
  return toWorkload(kind, {
    metadata: { namespace: ns, name, annotations },
    spec: {
      paused,
      template: {
        metadata: { annotations: template },
        spec: {
          containers: [container],
          initContainers: use.init ? [{ env: [{ valueFrom: { secretKeyRef: { name: use.init } } }] }] : [],
          volumes: [
            ...(use.volume ? [{ secret: { secretName: use.volume } }] : []),
            ...(use.spc ? [{ csi: { driver: "secrets-store.csi.k8s.io", volumeAttributes: { secretProviderClass: use.spc } } }] : []),
          ],
        },
      },
    },
  });
}

function inv(p: Partial<ClusterInventory>): ClusterInventory {
  return { cluster: "c1", driverRepublish: true, spcs: [], secrets: new Map(), spcps: [], workloads: [], ...p };
}
const ofType = <T extends Action["type"]>(actions: Action[], t: T) =>
  actions.filter((a): a is Extract<Action, { type: T }> => a.type === t);
const skips = (actions: Action[]) => ofType(actions, "skip").map((s) => `${s.reason.code} ${s.target}`);

describe("planCluster", () => {
  const base = () =>
    inv({
      spcs: [spc("ns", "s", plain)],
      secrets: new Map([["ns/creds", secret("ns", "creds", { password: "old", other: "keep" })]]),
      spcps: [pod("ns", "p-0", "s"), pod("ns", "p-1", "s", V2)],
      workloads: [
        workload("Deployment", "ns", "env", { env: "creds" }),
        workload("StatefulSet", "ns", "init", { init: "creds" }),
        workload("Deployment", "ns", "vol", { volume: "creds", spc: "s" }),
      ],
    });

  it("patches only the derived key, nudges only stale pods, restarts env and init-container consumers", () => {
    const a = plan(signal, base(), vault(), ctx());
    const [patch] = ofType(a, "patchSecret");
    expect(patch).toMatchObject({ namespace: "ns", name: "creds", data: { password: b64("new") }, keys: ["password"] });
    expect(patch!.provenFrom).toEqual([{ vault: "kv-a", objectName: "db", version: V1 }]);
    expect(patch!.reason.code).toBe("secret-behind");
    expect(ofType(a, "nudgePod").map((n) => n.name)).toEqual(["p-0"]);
    expect(ofType(a, "nudgePod")[0]!.annotations[POD_REFRESH]).toMatch(/^[0-9a-f]{12}$/);
    expect(ofType(a, "restartWorkload").map((r) => `${r.kind}/${r.name}`)).toEqual(["Deployment/env", "StatefulSet/init"]);
    expect(ofType(a, "restartWorkload")[0]!.annotations).toEqual({ [templateKey("kv-a", "db")]: `kv-a/db@${V2}` });
  });

  it("is deterministic and changes nothing when everything already holds the new version", () => {
    expect(plan(signal, base(), vault(), ctx())).toEqual(plan(signal, base(), vault(), ctx()));
    const done = base();
    done.secrets.set("ns/creds", secret("ns", "creds", { password: "new", other: "keep" }));
    done.spcps = [pod("ns", "p-0", "s", V2)];
    done.workloads = done.workloads.map((w) => ({ ...w, templateAnnotations: { [templateKey("kv-a", "db")]: `kv-a/db@${V2}` } }));
    const a = plan(signal, done, vault(), ctx());
    expect(a.filter((x) => x.type !== "skip")).toEqual([]);
    expect(skips(a)).toContain("up-to-date Secret ns/creds");
  });

  it("restart policy: annotated restarts only opted-in workloads, off restarts none, opt-out wins", () => {
    const i = base();
    i.workloads.push(workload("Deployment", "ns", "opted", { volume: "creds" }, { "reloader.stakater.com/auto": "true" }));
    i.workloads.push(workload("Deployment", "ns", "named", {}, { "secret.reloader.stakater.com/reload": "x, creds" }));
    i.workloads.push(workload("Deployment", "ns", "out", { env: "creds" }, { "kv-rotation-pusher.io/restart": "false" }));
    const names = (p: Partial<Policy>) => ofType(plan(signal, i, vault(), ctx(p)), "restartWorkload").map((r) => r.name);
    expect(names({ restart: "env" })).toEqual(["env", "init", "opted", "named"]);
    expect(names({ restart: "annotated" })).toEqual(["opted", "named"]);
    expect(names({ restart: "off" })).toEqual([]);
    expect(skips(plan(signal, i, vault(), ctx()))).toContain("opt-out Deployment ns/out");
  });

  it("honours Reloader's ignore on the Secret and its exclude list on the workload", () => {
    const i = base();
    i.workloads = [workload("Deployment", "ns", "excl", { env: "creds" }, { "secrets.exclude.reloader.stakater.com/reload": "creds" })];
    expect(ofType(plan(signal, i, vault(), ctx()), "restartWorkload")).toEqual([]);
    const j = base();
    j.secrets.set("ns/creds", secret("ns", "creds", { password: "old" }, { "reloader.stakater.com/ignore": "true" }));
    expect(ofType(plan(signal, j, vault(), ctx()), "restartWorkload")).toEqual([]);
  });

  it("skips paused Deployments with a reason", () => {
    const i = base();
    i.workloads = [workload("Deployment", "ns", "paused", { env: "creds" }, {}, {}, true)];
    expect(skips(plan(signal, i, vault(), ctx()))).toContain("paused Deployment ns/paused");
  });

  it("mount refresh: v1.5 driver reports mounts as waiting; `restart` restarts the mounting workloads; `off` does nothing", () => {
    const i = { ...base(), driverRepublish: false };
    const a = plan(signal, i, vault(), ctx());
    expect(ofType(a, "nudgePod")).toEqual([]);
    expect(skips(a)).toContain("driver-no-republish Pod ns/p-0");
    expect(ofType(plan(signal, i, vault(), ctx({ mountRefresh: "restart" })), "restartWorkload").map((r) => r.name)).toContain("vol");
    const off = plan(signal, base(), vault(), ctx({ mountRefresh: "off" }));
    expect(ofType(off, "nudgePod")).toEqual([]);
    expect(skips(off)).toContain("mount-refresh-off Pod ns/p-0");
  });

  it("namespace include/exclude: out-of-scope SPCs are reported, not acted on", () => {
    const i = base();
    i.spcs.push(spc("kube-system", "s", plain));
    const a = plan(signal, i, vault(), ctx({ namespacesExclude: ["kube-system"] }));
    expect(skips(a)).toContain("namespace-excluded SecretProviderClass kube-system/s");
    const inc = plan(signal, base(), vault(), ctx({ namespacesInclude: ["other"] }));
    expect(inc.filter((x) => x.type !== "skip")).toEqual([]);
  });

  it("pinned versions, version history, unsynced Secrets, other vaults and invalid objects", () => {
    const i = inv({
      spcs: [
        spc("ns", "pinned", objs(`objectName: db\nobjectType: secret\nobjectVersion: ${V1}`)),
        spc("ns", "hist", objs("objectName: db\nobjectType: secret\nobjectVersionHistory: 3"), [
          { secretName: "h", type: "Opaque", data: [{ objectName: "db/0", key: "v" }] },
        ]),
        spc("ns", "unsynced", plain, [{ secretName: "missing", type: "Opaque", data: [{ objectName: "db", key: "v" }] }]),
        spc("ns", "elsewhere", plain, undefined, "kv-b"),
        spc("ns", "broken", "array: not-a-list"),
      ],
      secrets: new Map([
        ["ns/missing", null],
        ["ns/h", secret("ns", "h", { v: "old" })],
      ]),
    });
    const s = skips(plan(signal, i, vault(), ctx()));
    expect(s).toContain("pinned-version SecretProviderClass ns/pinned object secret/db");
    expect(s).toContain("render-failed Secret ns/h"); // history without the version listing: not rendered
    expect(s).toContain("secret-not-synced Secret ns/missing");
    expect(s).toContain("spc-invalid SecretProviderClass ns/broken");
    expect(s.some((x) => x.includes("elsewhere"))).toBe(false);
    expect(ofType(plan(signal, i, vault(), ctx()), "patchSecret")).toEqual([]);
  });

  it("uses the alias as the file name and renders objectEncoding", () => {
    const i = inv({
      spcs: [
        spc("ns", "s", objs("objectName: db\nobjectType: secret\nobjectAlias: db.bin\nobjectEncoding: base64"), [
          { secretName: "bin", type: "Opaque", data: [{ objectName: "db.bin", key: "raw" }] },
        ]),
      ],
      secrets: new Map([["ns/bin", secret("ns", "bin", { raw: "x" })]]),
    });
    const [patch] = ofType(plan(signal, i, vault(b64("decoded!")), ctx()), "patchSecret");
    expect(Buffer.from(patch!.data.raw!, "base64").toString()).toBe("decoded!");
  });

  it("reports an object Key Vault could not return, and restarts nothing for it", () => {
    const a = plan(
      signal,
      base(),
      { vault: "kv-a", objectName: "db", byType: { secret: { unavailable: "object-not-found", detail: "not found" } } },
      ctx(),
    );
    expect(skips(a)).toContain("object-not-found SecretProviderClass ns/s object secret/db");
    expect(a.filter((x) => x.type !== "skip")).toEqual([]);
  });

  it("drift: stale mounts within the grace period are left to the driver; a never-annotated workload is restarted only when its Secret is patched", () => {
    const i = base();
    i.secrets.set("ns/creds", secret("ns", "creds", { password: "new" }));
    const young = plan(signal, i, vault("new", new Date("2026-11-27T11:59:30Z")), ctx({}, { trigger: "drift", driftGraceSeconds: 180 }));
    expect(skips(young)).toContain("within-grace Pod ns/p-0");
    expect(ofType(young, "restartWorkload")).toEqual([]);
    const old = plan(signal, i, vault("new", new Date("2026-11-27T11:00:00Z")), ctx({}, { trigger: "drift", driftGraceSeconds: 180 }));
    expect(ofType(old, "nudgePod").map((n) => n.name)).toEqual(["p-0"]);
    expect(ofType(old, "nudgePod")[0]!.annotations[POD_REFRESH]).toMatch(/\.\d+$/);
  });
  it("trust: without proof nothing is written and no env consumer restarts for that Secret; mounts are still nudged", () => {
    const a = plan(signal, base(), vault(), ctx(), { unproven: "keys hold none of the newest versions" });
    expect(ofType(a, "patchSecret")).toEqual([]);
    expect(skips(a)).toContain("no-proof Secret ns/creds");
    expect(ofType(a, "restartWorkload")).toEqual([]);
    expect(ofType(a, "nudgePod").map((n) => n.name)).toEqual(["p-0"]);
  });

  it("trust: a Secret proven to hold a newer version than this read is not moved back", () => {
    const a = plan(signal, base(), vault(), ctx(), { proven: V1, newer: true });
    expect(ofType(a, "patchSecret")).toEqual([]);
    expect(skips(a)).toContain("up-to-date Secret ns/creds");
  });

  it("vault bindings: an SPC in a namespace the vault is not bound to is reported and not read", () => {
    const i = base();
    const a = plan(signal, i, vault(), ctx({}, { vaults: new Map([["kv-a", { namespaces: ["team-*"] }]]) }));
    expect(skips(a)).toContain("vault-not-bound SecretProviderClass ns/s");
    expect(a.filter((x) => x.type !== "skip")).toEqual([]);
    const bound = plan(signal, i, vault(), ctx({}, { vaults: new Map([["kv-a", { namespaces: ["n*"] }]]) }));
    expect(ofType(bound, "patchSecret")).toHaveLength(1);
  });

  it("several objects at once: one patch per Secret with every key, one restart per workload with every object", () => {
    const two = objs("objectName: db\nobjectType: secret", "objectName: api\nobjectType: secret");
    const i = inv({
      spcs: [
        spc("ns", "s", two, [
          {
            secretName: "creds",
            type: "Opaque",
            data: [
              { objectName: "db", key: "password" },
              { objectName: "api", key: "token" },
            ],
          },
        ]),
      ],
      secrets: new Map([["ns/creds", secret("ns", "creds", { password: "old", token: "old-api" })]]),
      workloads: [workload("Deployment", "ns", "env", { env: "creds" })],
    });
    const apiSignal: RotationSignal = { ...signal, objectName: "api" };
    const apiState: ObjectState = {
      vault: "kv-a",
      objectName: "api",
      byType: { secret: { data: { kind: "secret", name: "api", version: V2, value: "new-api" } } },
    };
    const objects: PlannedObject[] = [
      { signal, state: vault() },
      { signal: apiSignal, state: apiState },
    ];
    const c = ctx();
    const proofs = new Map(analyzeSecrets(objects, i, c).behind.map((t) => [t.id, { proven: V1 } as Proof]));
    const a = planCluster(objects, i, c, proofs);
    const patches = ofType(a, "patchSecret");
    expect(patches).toHaveLength(1);
    expect(patches[0]).toMatchObject({ keys: ["password", "token"], data: { password: b64("new"), token: b64("new-api") } });
    const restarts = ofType(a, "restartWorkload");
    expect(restarts).toHaveLength(1);
    expect(restarts[0]!.annotations).toEqual({
      [templateKey("kv-a", "db")]: `kv-a/db@${V2}`,
      [templateKey("kv-a", "api")]: `kv-a/api@${V2}`,
    });
  });
  it("version history: Secrets synced from <file>/<i> get the versions the provider mounts, proven by the previous selection", () => {
    const V3 = "3".repeat(32);
    const at = (m: number) => new Date(Date.UTC(2026, 10, 27, 11, m));
    const data = (version: string, value: string) => ({ data: { kind: "secret" as const, name: "db", version, value } });
    const state: ObjectState = {
      ...vault("v3", at(30)),
      byType: { secret: { ...data(V3, "v3"), created: at(30) } },
      history: {
        secret: {
          listing: [
            { version: V1, enabled: true, createdOn: at(10) },
            { version: V2, enabled: true, createdOn: at(20) },
            { version: V3, enabled: true, createdOn: at(30) },
          ],
          versions: new Map([
            [V1, data(V1, "v1")],
            [V2, data(V2, "v2")],
            [V3, data(V3, "v3")],
          ]),
        },
      },
    };
    const hist = (current: Record<string, string>) =>
      inv({
        spcs: [
          spc("ns", "h", objs("objectName: db\nobjectType: secret\nobjectVersionHistory: 2"), [
            {
              secretName: "h",
              type: "Opaque",
              data: [
                { objectName: "db/0", key: "now" },
                { objectName: "db/1", key: "before" },
              ],
            },
          ]),
        ],
        secrets: new Map([["ns/h", secret("ns", "h", current)]]),
      });
    const objects = [{ signal, state }];
    // The driver's last sync (before V3): db/0 = v2, db/1 = v1.
    const [patch] = ofType(planCluster(objects, hist({ now: "v2", before: "v1" }), ctx()), "patchSecret");
    expect(patch).toMatchObject({ keys: ["before", "now"], data: { now: b64("v3"), before: b64("v2") } });
    // A Secret holding something that is no rendering of those versions is not written.
    const a = planCluster(objects, hist({ now: "guess", before: "v1" }), ctx());
    expect(ofType(a, "patchSecret")).toEqual([]);
    expect(skips(a)).toContain("no-proof Secret ns/h");
  });
});

describe("version order: an older read never moves a template back", () => {
  const V3 = "3".repeat(32);
  const db = templateKey("kv-a", "db");
  const env = (template: Record<string, string>) =>
    inv({
      spcs: [spc("ns", "s", plain)],
      secrets: new Map([["ns/creds", secret("ns", "creds", { password: "old" })]]),
      workloads: [workload("Deployment", "ns", "env", { env: "creds" }, {}, template)],
    });
  /** Restarts for the Secret patched to V2 (this read), with an order decided by `order`. */
  const restarts = (i: ClusterInventory, order?: OrderOf) => {
    const objects: PlannedObject[] = [{ signal, state: vault() }];
    const c = ctx();
    const a = analyzeSecrets(objects, i, c);
    const held = planSecrets(a, new Map(a.behind.map((t) => [t.id, { proven: V1 } as Proof]))).held;
    return restartPlan(objects, i, held, new Map(), c, order);
  };

  it("orders by creation time; equal times decide nothing until the latest version is confirmed", () => {
    expect(compareCreated({ version: V1, created: 1000 }, { version: V2, created: 2000 })).toBe("older");
    expect(compareCreated({ version: V3, created: 3000 }, { version: V2, created: 2000 })).toBe("newer");
    expect(compareCreated({ version: V2, created: 2000 }, { version: V2, created: 2000 })).toBe("same");
    expect(compareCreated({ version: V1 }, { version: V2, created: 2000 })).toBe("unknown");
    expect(compareCreated({ version: V1, created: 2000 }, { version: V2, created: 2000 })).toBe("unknown");
    expect(compareCreated({ version: V1, created: 2000 }, { version: V2, created: 2000 }, "ours-latest")).toBe("older");
    expect(compareCreated({ version: V1, created: 2000 }, { version: V2, created: 2000 }, "ours-stale")).toBe("newer");
  });

  it("replaces an older version's annotation, keeps a newer one, asks about one it cannot place", () => {
    const older = restarts(env({ [db]: `kv-a/db@${V1}` }), () => "older");
    expect(ofType(older.actions, "restartWorkload")[0]!.annotations).toEqual({ [db]: `kv-a/db@${V2}` });

    const newer = restarts(env({ [db]: `kv-a/db@${V3}` }), () => "newer");
    expect(ofType(newer.actions, "restartWorkload")).toEqual([]);
    expect(skips(newer.actions)).toEqual(["already-restarted Deployment ns/env"]);
    expect(ofType(newer.actions, "skip")[0]!.reason.detail).toContain("newer than this read");

    const unknown = restarts(env({ [db]: `kv-a/db@${V3}` }), () => "unknown");
    expect(unknown.actions).toEqual([]);
    expect(unknown.unordered).toEqual([{ ours: { vault: "kv-a", objectName: "db", version: V2 }, held: V3 }]);
  });

  it("asks only about versions of the same object; an absent annotation or a foreign value is simply behind", () => {
    const asked: string[] = [];
    const order: OrderOf = (_o, h) => (asked.push(h), "unknown");
    expect(ofType(restarts(env({}), order).actions, "restartWorkload")).toHaveLength(1);
    expect(ofType(restarts(env({ [db]: "tampered" }), order).actions, "restartWorkload")).toHaveLength(1);
    expect(asked).toEqual([]);
    // Without an order (dry runs of one pass): any other value is replaced, as before.
    expect(ofType(restarts(env({ [db]: `kv-a/db@${V3}` })).actions, "restartWorkload")).toHaveLength(1);
  });
});
