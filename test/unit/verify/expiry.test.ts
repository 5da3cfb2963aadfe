// Expiry mapped to its users (pure): which SecretProviderClasses and workloads use an expiring object, per namespace,
// and the Warning each is given.
import { describe, expect, it } from "vitest";
import { toSpc, toWorkload } from "../../../shared/kube/translate.js";
import { expiryPhrase } from "../../../shared/model/index.js";
import { expiryEvents, expiryMessage, expiryUses } from "../../../shared/expiry/index.js";
import { objectsYaml } from "../../support/fixtures.js";

const spc = (ns: string, name: string, objects: Record<string, string>[]) =>
  toSpc({
    metadata: { namespace: ns, name },
    spec: {
      provider: "azure",
      parameters: { keyvaultName: "kv-prod", objects: objectsYaml(objects) },
      secretObjects: [
        {
          secretName: `${name}-synced`,
          type: "Opaque",
          data: [{ objectName: objects[0]!.objectAlias ?? objects[0]!.objectName!, key: "k" }],
        },
      ],
    },
  });
const wl = (ns: string, name: string, env?: string, mount?: string) =>
  toWorkload("Deployment", {
    metadata: { namespace: ns, name },
    spec: {
      template: {
        spec: {
          containers: [{ env: env ? [{ valueFrom: { secretKeyRef: { name: env } } }] : [] }],
          volumes: mount ? [{ csi: { driver: "secrets-store.csi.k8s.io", volumeAttributes: { secretProviderClass: mount } } }] : [],
        },
      },
    },
  });

const now = new Date("2026-06-01T00:00:00Z");
const e = {
  vault: "kv-prod",
  objectType: "secret" as const,
  objectName: "db-password",
  version: "v2",
  expiresOn: "2026-06-13T06:00:00.000Z",
  expired: false,
};

describe("expiry uses", () => {
  it("per namespace: the classes naming the object (unpinned, or pinned to the expiring version) and the workloads using them", () => {
    const spcs = [
      spc("shop", "shop-kv", [{ objectName: "db-password", objectType: "secret" }]),
      spc("billing", "pinned-old", [{ objectName: "db-password", objectType: "secret", objectVersion: "v1" }]),
      spc("ops", "pinned-it", [{ objectName: "db-password", objectType: "secret", objectVersion: "v2", objectAlias: "pw" }]),
      spc("shop", "other", [{ objectName: "flags", objectType: "secret" }]),
    ];
    const workloads = [
      wl("shop", "checkout", "shop-kv-synced"),
      wl("shop", "catalog", undefined, "shop-kv"),
      wl("shop", "unrelated", undefined, "other"),
      wl("billing", "invoices", undefined, "pinned-old"),
    ];
    const uses = expiryUses("c1", e, spcs, workloads);
    expect(uses.map((u) => [u.namespace, u.spcs, u.workloads])).toEqual([
      ["shop", ["shop-kv"], ["Deployment shop/catalog", "Deployment shop/checkout"]],
      ["ops", ["pinned-it"], []],
    ]);
    const shop = uses[0]!;
    expect(expiryMessage(shop, now)).toBe(
      "secret db-password in kv-prod expires in 12 days (2026-06-13); used by Deployment shop/catalog, Deployment shop/checkout. Rotate it in Key Vault: kv-rotation-pusher pushes the new version.",
    );
    expect(
      expiryEvents(shop, now, (k) => (k === "Deployment" ? "apps/v1" : "secrets-store.csi.x-k8s.io/v1")).map((x) => [
        x.kind,
        x.name,
        x.reason,
        x.type,
        x.apiVersion,
      ]),
    ).toEqual([
      ["Deployment", "catalog", "SecretNearExpiry", "Warning", "apps/v1"],
      ["Deployment", "checkout", "SecretNearExpiry", "Warning", "apps/v1"],
      ["SecretProviderClass", "shop-kv", "SecretNearExpiry", "Warning", "secrets-store.csi.x-k8s.io/v1"],
    ]);
    expect(expiryMessage(uses[1]!, now)).toMatch(/named by SecretProviderClass pinned-it \(no workload mounts it now\)/);
  });

  it("phrases: days left, within a day, expired days ago, unknown", () => {
    expect(expiryPhrase({ expiresOn: "2026-06-02T00:00:00Z", expired: false }, now)).toBe("expires in 1 day (2026-06-02)");
    expect(expiryPhrase({ expiresOn: "2026-06-01T05:00:00Z", expired: false }, now)).toBe("expires within a day (2026-06-01)");
    expect(expiryPhrase({ expiresOn: "2026-05-29T00:00:00Z", expired: true }, now)).toBe("expired 3 days ago (2026-05-29)");
    expect(expiryPhrase({ expiresOn: "2026-05-31T20:00:00Z", expired: true }, now)).toBe("expired today (2026-05-31)");
    expect(expiryPhrase({ expired: true }, now)).toBe("has expired");
    expect(expiryPhrase({ expired: false }, now)).toBe("expires soon");
  });
});
