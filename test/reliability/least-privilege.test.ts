// Least privilege, on the real API server with RBAC on: the pusher's token (infra/k8s/rbac.yaml, as every other
// reliability suite uses it) may do exactly its job, and is denied everything else a compromised function could try:
// reading ConfigMaps, listing/watching/creating/deleting Secrets, touching workloads beyond list/watch and a patch,
// reading one pod or its logs or watching pods (pods are only listed, as a workload's set), other CSIDrivers, exec,
// tokens, impersonation, and anything cluster-admin-like (RBAC objects, namespaces, nodes, the CSI driver).
import { request } from "node:https";
import { RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespace, startWorld, type ClusterHandles, type World } from "../support/world.js";
import { Ledger } from "./support/ledger.js";

const ledger = new Ledger("least-privilege");
let w: World;
let c: ClusterHandles;
let ns: string;

beforeAll(async () => {
  w = await startWorld();
  c = w.clusters[0]!;
  ns = await createNamespace(c, "lp");
  await c.core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: "victim" }, data: { password: Buffer.from("hunter2-hunter2").toString("base64") } },
  });
  await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "settings" }, data: { a: "b" } } });
  await c.custom.createNamespacedCustomObject({
    group: "secret-sync.x-k8s.io",
    version: "v1alpha1",
    namespace: ns,
    plural: "secretsyncs",
    body: {
      apiVersion: "secret-sync.x-k8s.io/v1alpha1",
      kind: "SecretSync",
      metadata: { name: "victim" },
      spec: {
        secretProviderClassName: "app",
        serviceAccountName: "default",
        secretObject: { data: [{ sourcePath: "a", targetKey: "a" }] },
      },
    },
  });
});
afterAll(async () => {
  ledger.flush();
  await w?.stop();
});

/** One raw request with the pusher's bearer token (TLS verified against the cluster CA). */
function asPusher(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${c.info.url}${path}`,
      {
        method,
        ca: c.info.caPem,
        headers: {
          Authorization: `Bearer ${c.info.tokens.pusher}`,
          Accept: "application/json",
          ...(payload
            ? {
                "Content-Type": method === "PATCH" ? "application/merge-patch+json" : "application/json",
                "Content-Length": Buffer.byteLength(payload),
              }
            : {}),
          ...headers,
        },
        timeout: 10_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

describe("the pusher's identity", () => {
  it("can do its job: get and patch a Secret, list and watch SPCs, mounts and workloads, list and watch SecretSyncs and nudge one, read and watch its CSIDriver, record an Event", async () => {
    const driverOnly = `fieldSelector=${encodeURIComponent("metadata.name=secrets-store.csi.k8s.io")}`;
    const allowed: [string, string, unknown?][] = [
      ["GET", `/api/v1/namespaces/${ns}/secrets/victim`],
      ["PATCH", `/api/v1/namespaces/${ns}/secrets/victim`, { metadata: { annotations: { probe: "1" } } }],
      ["GET", "/apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasses"],
      ["GET", "/apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasses?watch=true&timeoutSeconds=1"],
      ["GET", `/apis/secrets-store.csi.x-k8s.io/v1/namespaces/${ns}/secretproviderclasspodstatuses`],
      ["GET", "/apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasspodstatuses?limit=500"],
      ["GET", "/apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasspodstatuses?watch=true&timeoutSeconds=1"],
      ["GET", `/apis/apps/v1/namespaces/${ns}/deployments`],
      ["GET", "/apis/apps/v1/statefulsets?limit=500"],
      ["GET", "/apis/apps/v1/deployments?watch=true&timeoutSeconds=1"],
      ["GET", "/apis/apps/v1/daemonsets?watch=true&timeoutSeconds=1"],
      ["GET", "/apis/storage.k8s.io/v1/csidrivers/secrets-store.csi.k8s.io"],
      ["GET", `/apis/storage.k8s.io/v1/csidrivers?${driverOnly}`],
      ["GET", `/apis/storage.k8s.io/v1/csidrivers?${driverOnly}&watch=true&timeoutSeconds=1`],
      // verified rotations: a workload's pods by its selector, and a pod's Warning Events
      ["GET", `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dapi`],
      ["GET", `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.kind%3DPod%2Ctype%3DWarning`],
      ["GET", `/apis/secret-sync.x-k8s.io/v1alpha1/namespaces/${ns}/secretsyncs`],
      ["GET", "/apis/secret-sync.x-k8s.io/v1alpha1/secretsyncs?watch=true&timeoutSeconds=1"],
      [
        "PATCH",
        `/apis/secret-sync.x-k8s.io/v1alpha1/namespaces/${ns}/secretsyncs/victim`,
        { spec: { forceSynchronization: "kvrp-probe" } },
      ],
      [
        "POST",
        `/api/v1/namespaces/${ns}/events`,
        {
          metadata: { generateName: "probe." },
          involvedObject: { kind: "Secret", name: "victim", namespace: ns },
          reason: "Probe",
          message: "least-privilege probe",
          type: "Normal",
        },
      ],
    ];
    for (const [m, p, b] of allowed) expect((await asPusher(m, p, b)).status, `${m} ${p}`).toBeLessThan(300);
  });

  it("is denied everything else (403 from the real API server, nothing changed)", async () => {
    const secret = { metadata: { name: "planted", namespace: ns }, data: { x: "eA==" } };
    const denied: [string, string, unknown?, Record<string, string>?][] = [
      ["GET", `/api/v1/namespaces/${ns}/configmaps/settings`],
      ["GET", `/api/v1/namespaces/${ns}/configmaps`],
      ["GET", "/api/v1/configmaps"],
      ["GET", `/api/v1/namespaces/${ns}/secrets`],
      ["GET", "/api/v1/secrets"],
      ["GET", `/api/v1/namespaces/${ns}/secrets?watch=true&timeoutSeconds=1`],
      ["POST", `/api/v1/namespaces/${ns}/secrets`, secret],
      ["PUT", `/api/v1/namespaces/${ns}/secrets/victim`, { metadata: { name: "victim", namespace: ns }, data: {} }],
      ["DELETE", `/api/v1/namespaces/${ns}/secrets/victim`],
      ["DELETE", `/api/v1/namespaces/${ns}/secrets`],
      ["POST", `/api/v1/namespaces/${ns}/pods`, { metadata: { name: "evil" }, spec: { containers: [{ name: "x", image: "evil" }] } }],
      ["GET", `/api/v1/namespaces/${ns}/pods/app-0`],
      ["GET", `/api/v1/namespaces/${ns}/pods/app-0/log`],
      ["GET", `/api/v1/namespaces/${ns}/pods?watch=true&timeoutSeconds=1`],
      ["PATCH", `/api/v1/namespaces/${ns}/events/probe`, { message: "rewritten" }],
      ["DELETE", `/api/v1/namespaces/${ns}/pods/app-0`],
      ["POST", `/api/v1/namespaces/${ns}/pods/app-0/exec?command=sh`],
      ["POST", `/apis/apps/v1/namespaces/${ns}/deployments`, { metadata: { name: "evil" } }],
      ["DELETE", `/apis/apps/v1/namespaces/${ns}/deployments/env`],
      ["PUT", `/apis/apps/v1/namespaces/${ns}/deployments/env`, { metadata: { name: "env" } }],
      ["POST", `/api/v1/namespaces/${ns}/serviceaccounts/default/token`, { spec: { audiences: ["api"] } }],
      ["POST", "/api/v1/namespaces", { metadata: { name: "evil-ns" } }],
      ["PATCH", `/api/v1/namespaces/${ns}`, { metadata: { labels: { owned: "yes" } } }],
      ["DELETE", `/api/v1/namespaces/${ns}`],
      ["GET", "/api/v1/nodes"],
      [
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        {
          metadata: { name: "evil" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
          subjects: [{ kind: "User", name: "kv-rotation-pusher", apiGroup: "rbac.authorization.k8s.io" }],
        },
      ],
      [
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        { metadata: { name: "evil" }, rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }] },
      ],
      [
        "PATCH",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/kv-rotation-pusher",
        { rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }] },
      ],
      [
        "POST",
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
        {
          metadata: { name: "evil" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
          subjects: [{ kind: "User", name: "kv-rotation-pusher", apiGroup: "rbac.authorization.k8s.io" }],
        },
      ],
      ["GET", `/api/v1/namespaces/${ns}/secrets/victim`, undefined, { "Impersonate-User": "admin" }],
      ["GET", "/api/v1/namespaces", undefined, { "Impersonate-User": "kv-rotation-pusher", "Impersonate-Group": "system:masters" }],
      [
        "POST",
        `/apis/secrets-store.csi.x-k8s.io/v1/namespaces/${ns}/secretproviderclasses`,
        {
          apiVersion: "secrets-store.csi.x-k8s.io/v1",
          kind: "SecretProviderClass",
          metadata: { name: "evil" },
          spec: { provider: "azure" },
        },
      ],
      ["DELETE", `/apis/secrets-store.csi.x-k8s.io/v1/namespaces/${ns}/secretproviderclasses/app`],
      ["PATCH", "/apis/storage.k8s.io/v1/csidrivers/secrets-store.csi.k8s.io", { spec: { requiresRepublish: false } }],
      // SecretSyncs: list and patch only — never the status (the controller's), never create/delete, no get/watch.
      ["GET", `/apis/secret-sync.x-k8s.io/v1alpha1/namespaces/${ns}/secretsyncs/victim`],
      ["PATCH", `/apis/secret-sync.x-k8s.io/v1alpha1/namespaces/${ns}/secretsyncs/victim/status`, { status: { syncHash: "x" } }],
      [
        "POST",
        `/apis/secret-sync.x-k8s.io/v1alpha1/namespaces/${ns}/secretsyncs`,
        {
          apiVersion: "secret-sync.x-k8s.io/v1alpha1",
          kind: "SecretSync",
          metadata: { name: "evil" },
          spec: {
            secretProviderClassName: "app",
            serviceAccountName: "default",
            secretObject: { data: [{ sourcePath: "a", targetKey: "a" }] },
          },
        },
      ],
      ["DELETE", `/apis/secret-sync.x-k8s.io/v1alpha1/namespaces/${ns}/secretsyncs/victim`],
      ["GET", "/apis/storage.k8s.io/v1/csidrivers"],
      ["GET", "/apis/storage.k8s.io/v1/csidrivers?watch=true&timeoutSeconds=1"],
      ["GET", `/apis/storage.k8s.io/v1/csidrivers?fieldSelector=${encodeURIComponent("metadata.name=disk.csi.azure.com")}`],
      ["GET", "/apis/storage.k8s.io/v1/csidrivers/disk.csi.azure.com"],
      ["GET", "/api/v1/pods?watch=true&timeoutSeconds=1"],
      ["GET", "/api/v1/configmaps?watch=true&timeoutSeconds=1"],
      ["POST", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", { metadata: { name: "evil" } }],
      ["POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", { metadata: { name: "evils.example.com" } }],
    ];
    const before = await c.core.readNamespacedSecret({ namespace: ns, name: "victim" });
    const notDenied: string[] = [];
    for (const [m, p, b, h] of denied) {
      const r = await asPusher(m, p, b, h);
      if (r.status !== 403) notDenied.push(`${m} ${p}${h ? ` (${Object.keys(h).join(", ")})` : ""}: ${r.status}`);
      else ledger.add("deniedRequests");
    }
    expect(notDenied).toEqual([]);
    const after = await c.core.readNamespacedSecret({ namespace: ns, name: "victim" });
    expect(after.data).toEqual(before.data);
    await expect(c.core.readNamespacedSecret({ namespace: ns, name: "planted" })).rejects.toMatchObject({ code: 404 });
    await expect(c.admin.makeApiClient(RbacAuthorizationV1Api).readClusterRoleBinding({ name: "evil" })).rejects.toMatchObject({
      code: 404,
    });
    ledger.note(
      `${ledger.f.deniedRequests} requests outside the pusher's role were denied by the API server (RBAC), none changed anything`,
    );
  });
});
