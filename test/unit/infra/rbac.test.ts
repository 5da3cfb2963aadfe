// infra/k8s/rbac.yaml and rbac-namespaced.yaml must grant exactly infra/k8s/required-permissions.json: the calls the
// pusher makes, nothing more (no wildcards, no extra verbs, no create/update/delete on Secrets).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { K8S_DIR, grantKey, grantsFromRules, loadRequiredPermissions, normalizeGrants, type Grant, type PolicyRule } from "./helpers.js";

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: Array<{
    apiGroup?: string;
    kind: string;
    name: string;
    namespace?: string;
  }>;
}

function loadManifest(file: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(join(K8S_DIR, file), "utf8"));
  for (const doc of docs) expect(doc.errors, `${file}: YAML errors`).toEqual([]);
  return docs.map((d) => d.toJSON() as K8sObject).filter((o) => o !== null);
}

function only(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0] as K8sObject;
}

const CLUSTER_SCOPED = new Set(["storage.k8s.io/csidrivers[secrets-store.csi.k8s.io]"]);
const ALLOWED_VERBS = new Set(["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]);

const required = (): Grant[] => normalizeGrants(loadRequiredPermissions());

function expectNoWildcards(rules: PolicyRule[]): void {
  for (const rule of rules) {
    for (const field of ["apiGroups", "resources", "verbs", "resourceNames"] as const) {
      for (const value of rule[field] ?? []) expect(value.includes("*"), `wildcard in ${field}: ${value}`).toBe(false);
    }
    expect(rule.nonResourceURLs, "no nonResourceURLs").toBeUndefined();
  }
}

describe("required-permissions.json", () => {
  it("is the exact set the pusher's code calls", () => {
    const byKey = Object.fromEntries(required().map((g) => [grantKey(g), g.verbs]));
    expect(byKey).toEqual({
      "secrets-store.csi.x-k8s.io/secretproviderclasses[]": ["list", "watch"],
      "secrets-store.csi.x-k8s.io/secretproviderclasspodstatuses[]": ["list", "watch"],
      "secret-sync.x-k8s.io/secretsyncs[]": ["list", "patch", "watch"],
      "/secrets[]": ["get", "patch"],
      "/pods[]": ["list", "patch"],
      "/events[]": ["create", "list"],
      "apps/deployments[]": ["list", "patch", "watch"],
      "apps/statefulsets[]": ["list", "patch", "watch"],
      "apps/daemonsets[]": ["list", "patch", "watch"],
      "argoproj.io/rollouts[]": ["list", "patch", "watch"],
      "storage.k8s.io/csidrivers[secrets-store.csi.k8s.io]": ["get", "list", "watch"],
    });
  });

  it("explains every entry and uses only real verbs, no wildcards", () => {
    const entries = loadRequiredPermissions();
    for (const p of entries) {
      expect(p.why.trim().length, `${p.apiGroup}/${p.resource} why`).toBeGreaterThan(20);
      for (const v of p.verbs) expect(ALLOWED_VERBS.has(v), v).toBe(true);
      expect(JSON.stringify(p).includes("*")).toBe(false);
    }
    // One entry per (group, resource, resourceNames): the e2e RBAC test relies on it.
    expect(new Set(entries.map(grantKey)).size).toBe(entries.length);
  });

  it("never lets the pusher list, create, update or delete Secrets", () => {
    const secrets = loadRequiredPermissions().filter((p) => p.apiGroup === "" && p.resource === "secrets");
    expect(secrets).toHaveLength(1);
    for (const forbidden of ["list", "create", "update", "delete", "deletecollection", "watch"]) {
      expect(secrets[0]?.verbs.includes(forbidden), forbidden).toBe(false);
    }
  });
});

describe("rbac.yaml (ClusterRole + ClusterRoleBinding)", () => {
  const objects = loadManifest("rbac.yaml");

  it("contains exactly a ClusterRole and its ClusterRoleBinding", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ClusterRole/kv-rotation-pusher",
      "ClusterRoleBinding/kv-rotation-pusher",
    ]);
    for (const o of objects) expect(o.apiVersion).toBe("rbac.authorization.k8s.io/v1");
  });

  it("grants exactly required-permissions.json", () => {
    const role = only(objects, "ClusterRole", "kv-rotation-pusher");
    expectNoWildcards(role.rules ?? []);
    expect(grantsFromRules(role.rules ?? [])).toEqual(required());
  });

  it("binds the role to the function's Entra ID object id", () => {
    const binding = only(objects, "ClusterRoleBinding", "kv-rotation-pusher");
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "kv-rotation-pusher",
    });
    expect(binding.subjects).toEqual([
      {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "User",
        name: "${KVRP_PRINCIPAL_OBJECT_ID}",
      },
    ]);
  });
});

describe("rbac-namespaced.yaml (Role per namespace + CSIDriver ClusterRole)", () => {
  const objects = loadManifest("rbac-namespaced.yaml");

  it("contains the Role, its RoleBinding and the CSIDriver ClusterRole + binding", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ClusterRole/kv-rotation-pusher-csidriver",
      "ClusterRoleBinding/kv-rotation-pusher-csidriver",
      "Role/kv-rotation-pusher",
      "RoleBinding/kv-rotation-pusher",
    ]);
  });

  it("splits required-permissions.json into the namespaced part and the cluster-scoped CSIDriver get", () => {
    const role = only(objects, "Role", "kv-rotation-pusher");
    const clusterRole = only(objects, "ClusterRole", "kv-rotation-pusher-csidriver");
    expect(role.metadata.namespace).toBe("${KVRP_NAMESPACE}");
    expectNoWildcards([...(role.rules ?? []), ...(clusterRole.rules ?? [])]);
    expect(grantsFromRules(role.rules ?? [])).toEqual(required().filter((g) => !CLUSTER_SCOPED.has(grantKey(g))));
    expect(grantsFromRules(clusterRole.rules ?? [])).toEqual(required().filter((g) => CLUSTER_SCOPED.has(grantKey(g))));
  });

  it("binds both to the same subject", () => {
    const binding = only(objects, "RoleBinding", "kv-rotation-pusher");
    const clusterBinding = only(objects, "ClusterRoleBinding", "kv-rotation-pusher-csidriver");
    expect(binding.metadata.namespace).toBe("${KVRP_NAMESPACE}");
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "kv-rotation-pusher",
    });
    expect(clusterBinding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "kv-rotation-pusher-csidriver",
    });
    const subject = [
      {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "User",
        name: "${KVRP_PRINCIPAL_OBJECT_ID}",
      },
    ];
    expect(binding.subjects).toEqual(subject);
    expect(clusterBinding.subjects).toEqual(subject);
  });
});
