// SecretSync targets in the pure plan: nudge (never a Secret write) when the managed Secret lags, restarts only once
// it holds the new version, the controller's status read in every dialect, and the forceSynchronization value rules.
import { describe, expect, it } from "vitest";
import { toSecretSync, type RawSecretSync } from "../../../shared/kube/secretsync-translate.js";
import { toSpc, toWorkload } from "../../../shared/kube/translate.js";
import { templateKey, templateValue } from "../../../shared/lib/annotations.js";
import {
  FORCE_SYNC_MAX,
  syncStatus,
  validForceSync,
  type Action,
  type ClusterInventory,
  type ObjectState,
  type Policy,
  type RotationSignal,
  type SecretState,
  type SecretSyncState,
} from "../../../shared/model/index.js";
import { forceSyncValue, isOurNudge, planCluster, type PlanContext, type PlannedObject } from "../../../shared/plan/plan.js";
import { settled } from "../../../shared/pipeline/secretsync-wait.js";
import { providerRenderer } from "../../../shared/pipeline/renderer.js";

const V1 = "1".repeat(32);
const V2 = "2".repeat(32);
const NOW = new Date("2026-11-27T12:00:00Z");
const CREATED = new Date("2026-11-27T11:59:00Z");
const b64 = (s: string) => Buffer.from(s).toString("base64");

const policy: Policy = { restart: "env", mountRefresh: "nudge", namespacesInclude: [], namespacesExclude: [] };
const ctx = (extra: Partial<PlanContext> = {}): PlanContext => ({
  policy,
  trigger: "event",
  now: NOW,
  vaults: new Map([["kv-a", {}]]),
  render: providerRenderer,
  ...extra,
});
const signal: RotationSignal = { vault: "kv-a", objectType: "secret", objectName: "db", eventTime: NOW.toISOString(), source: "eventgrid" };
const state = (value = "new"): ObjectState => ({
  vault: "kv-a",
  objectName: "db",
  byType: { secret: { data: { kind: "secret", name: "db", version: V2, value }, created: CREATED } },
});
const spc = (objects = "array:\n  - |\n    objectName: db\n    objectType: secret\n") =>
  toSpc({ metadata: { namespace: "app", name: "kv" }, spec: { provider: "azure", parameters: { keyvaultName: "kv-a", objects } } });

function ss(p: { force?: string; synced?: Date; conditions?: NonNullable<RawSecretSync["status"]>["conditions"] } = {}) {
  return toSecretSync({
    metadata: { namespace: "app", name: "db-creds", resourceVersion: "7", generation: 2 },
    spec: {
      secretProviderClassName: "kv",
      serviceAccountName: "app",
      ...(p.force ? { forceSynchronization: p.force } : {}),
      secretObject: { type: "Opaque", data: [{ sourcePath: "db", targetKey: "password" }] },
    },
    status: {
      ...(p.synced ? { lastSuccessfulSyncTime: p.synced.toISOString() } : {}),
      conditions: p.conditions ?? [
        { type: "Create", status: "True", reason: "CreateSucceeded" },
        { type: "Update", status: "True", reason: "UpdateNoValueChangeSucceeded" },
      ],
    },
  });
}
const managed = (value: string): SecretState => ({
  namespace: "app",
  name: "db-creds",
  type: "Opaque",
  data: { password: b64(value) },
  annotations: {},
  resourceVersion: "3",
});
const envConsumer = (template: Record<string, string> = {}) =>
  toWorkload("Deployment", {
    metadata: { namespace: "app", name: "api", resourceVersion: "9" },
    spec: {
      template: {
        metadata: { annotations: template },
        spec: { containers: [{ env: [{ valueFrom: { secretKeyRef: { name: "db-creds" } } }] }] },
      },
    },
  });

function inv(sync: SecretSyncState, secret: SecretState | null, template: Record<string, string> = {}): ClusterInventory {
  return {
    cluster: "c1",
    driverRepublish: null,
    spcs: [spc()],
    secrets: new Map([["app/db-creds", secret]]),
    spcps: [],
    workloads: [envConsumer(template)],
    secretSyncs: [sync],
    found: { csiDriver: false, syncController: true },
  };
}
const planOf = (i: ClusterInventory, c = ctx(), st = state()): Action[] => planCluster([{ signal, state: st } as PlannedObject], i, c);
const codes = (a: Action[]) => a.map((x) => `${x.type}:${x.reason.code}`);

describe("SecretSync plan", () => {
  it("nudges a SecretSync whose Secret lags (forceSynchronization from the version), writes no Secret and restarts nothing yet", () => {
    const actions = planOf(inv(ss({ synced: new Date("2026-11-27T10:00:00Z") }), managed("old")));
    expect(codes(actions)).toEqual(["nudgeSecretSync:sync-behind"]);
    const n = actions[0] as Extract<Action, { type: "nudgeSecretSync" }>;
    expect(n).toMatchObject({ namespace: "app", name: "db-creds", value: `kvrp-${V2}`, resourceVersion: "7" });
    // A 409 (the controller's status update bumps resourceVersion) is retried only while the field still holds this.
    expect(n.expected).toEqual({ forceSynchronization: "" });
    expect(n.objects).toEqual([{ vault: "kv-a", objectName: "db", version: V2 }]);
    expect(actions.some((a) => a.type === "patchSecret")).toBe(false);
  });

  it("restarts env consumers once the Secret holds the new rendering and was synced after the version was created", () => {
    const i = inv(ss({ force: `kvrp-${V2}`, synced: new Date("2026-11-27T11:59:30Z") }), managed("new"));
    const actions = planOf(i);
    expect(codes(actions)).toEqual(["skip:up-to-date", "restartWorkload:env-consumer"]);
    const r = actions[1] as Extract<Action, { type: "restartWorkload" }>;
    expect(r.annotations).toEqual({ [templateKey("kv-a", "db")]: templateValue("kv-a", "db", V2) });
    // Exactly once per version: the template records it.
    const again = planOf(inv(ss({ force: `kvrp-${V2}`, synced: new Date("2026-11-27T11:59:30Z") }), managed("new"), r.annotations));
    expect(codes(again)).toEqual(["skip:up-to-date", "skip:already-restarted"]);
  });

  it("never restarts for a Secret whose bytes differ, even when the status claims a recent sync", () => {
    const actions = planOf(inv(ss({ force: "someone-else", synced: new Date("2026-11-27T11:59:30Z") }), managed("stale")));
    expect(codes(actions)).toEqual(["nudgeSecretSync:sync-behind"]);
  });

  it("a Secret holding equal bytes but synced before the version existed is drift (the timer's rule): one nudge", () => {
    const actions = planOf(
      inv(ss({ synced: new Date("2026-11-27T11:00:00Z") }), managed("new")),
      ctx({ trigger: "drift", driftGraceSeconds: 0 }),
    );
    expect(codes(actions)).toEqual(["nudgeSecretSync:sync-behind"]);
    // Drift values carry the grace window so a stuck sync is asked again once per window, never more.
    expect((actions[0] as { value: string }).value).toMatch(new RegExp(`^kvrp-${V2}\\.\\d+$`));
  });

  it("waits for the controller after its own nudge (sync-pending), and reports the controller's failure reason", () => {
    const pending = planOf(inv(ss({ force: `kvrp-${V2}`, synced: new Date("2026-11-27T10:00:00Z") }), managed("old")));
    expect(codes(pending)).toEqual(["skip:sync-pending"]);
    const failed = planOf(
      inv(
        ss({
          force: `kvrp-${V2}`,
          synced: new Date("2026-11-27T10:00:00Z"),
          conditions: [
            { type: "Create", status: "True", reason: "CreateSucceeded" },
            { type: "Update", status: "False", reason: "ProviderError" },
          ],
        }),
        managed("old"),
      ),
    );
    expect(codes(failed)).toEqual(["skip:sync-failed"]);
    expect(failed[0]!.reason.detail).toContain("Update=ProviderError");
  });

  it("drift leaves a fresh version to the controller within the grace period", () => {
    const actions = planOf(
      inv(ss({ synced: new Date("2026-11-27T10:00:00Z") }), managed("old")),
      ctx({ trigger: "drift", driftGraceSeconds: 180 }),
    );
    expect(codes(actions)).toEqual(["skip:within-grace"]);
  });

  it("the timer restarts only after a push asked for the version (our value in the field), never for the controller's own poll", () => {
    const drift = ctx({ trigger: "drift", driftGraceSeconds: 0 });
    const asked = planOf(inv(ss({ force: `kvrp-${V2}`, synced: new Date("2026-11-27T11:59:30Z") }), managed("new")), drift);
    expect(codes(asked)).toEqual(["skip:up-to-date", "restartWorkload:env-consumer"]);
    const own = planOf(inv(ss({ synced: new Date("2026-11-27T11:59:30Z") }), managed("new")), drift);
    expect(codes(own)).toEqual(["skip:up-to-date"]);
  });

  it("pinned objects, SecretSyncs of other classes or files, and a missing Secret", () => {
    const pinned = inv(ss({ synced: NOW }), managed("old"));
    pinned.spcs = [spc(`array:\n  - |\n    objectName: db\n    objectType: secret\n    objectVersion: ${V1}\n`)];
    expect(codes(planOf(pinned))).toEqual(["skip:pinned-version"]);
    const other = inv({ ...ss(), spcName: "other" }, managed("old"));
    expect(planOf(other)).toEqual([]);
    const otherFile = inv({ ...ss(), data: [{ sourcePath: "api-key", targetKey: "k" }] }, managed("old"));
    expect(planOf(otherFile)).toEqual([]);
    const missing = planOf(inv(ss({ synced: NOW }), null));
    expect(codes(missing)).toEqual(["nudgeSecretSync:sync-behind"]);
    expect(missing[0]!.reason.detail).toContain("does not exist yet");
  });
});

describe("forceSynchronization values", () => {
  it("are valid per the field's pattern and length, deterministic, and recognisable as ours", () => {
    const one = forceSyncValue([{ vault: "kv-a", objectName: "db", version: V2 }]);
    expect(one).toBe(`kvrp-${V2}`);
    const many = forceSyncValue([
      { vault: "kv-a", objectName: "db", version: V2 },
      { vault: "kv-b", objectName: "api", version: "x".repeat(300) },
    ]);
    const reordered = forceSyncValue([
      { vault: "kv-b", objectName: "api", version: "x".repeat(300) },
      { vault: "kv-a", objectName: "db", version: V2 },
    ]);
    expect(many).toBe(reordered);
    for (const v of [one, many, `${one}.29403812`]) expect(validForceSync(v), v).toBe(true);
    expect(validForceSync(forceSyncValue([{ vault: "kv-a", objectName: "db", version: "not valid!" }]))).toBe(true);
    expect(validForceSync("a".repeat(FORCE_SYNC_MAX + 1))).toBe(false);
    expect(validForceSync("-leading")).toBe(false);
    expect(isOurNudge(`${one}.123`, one)).toBe(true);
    expect(isOurNudge(`${one}x`, one)).toBe(false);
  });
});

describe("the sync controller's status", () => {
  it("is read in v0.0.4's, the API doc's and the main branch's condition names", () => {
    const at = new Date("2026-11-27T11:59:30Z");
    const st = (conditions: SecretSyncState["conditions"]) => syncStatus({ conditions, lastSuccessfulSyncTime: at });
    expect(st([{ type: "Update", status: "True", reason: "UpdateValueChangeOrForceUpdateSucceeded" }])).toMatchObject({ state: "wrote" });
    expect(st([{ type: "Update", status: "True", reason: "ValueChangeOrForceUpdateDetected" }])).toMatchObject({ state: "wrote" });
    expect(st([{ type: "SecretUpdated", status: "True", reason: "SecretUpToDate" }])).toMatchObject({ state: "wrote" });
    expect(st([{ type: "Update", status: "True", reason: "UpdateNoValueChangeSucceeded" }])).toMatchObject({ state: "unchanged" });
    expect(st([{ type: "SecretCreated", status: "False", reason: "ProviderError" }])).toEqual({
      state: "failed",
      condition: "SecretCreated",
      reason: "ProviderError",
    });
    expect(st([{ type: "Update", status: "Unknown", reason: "UnknownError" }])).toMatchObject({ state: "failed", reason: "UnknownError" });
    expect(st([{ type: "SecretUpdated", status: "Unknown", reason: "NoUpdatesAttemptedYet" }])).toEqual({ state: "none" });
  });

  it("a wait settles when the controller wrote, or reported a new failure — not on an old one", () => {
    const before = ss({ force: "kvrp-a", synced: new Date("2026-11-27T10:00:00Z") });
    expect(settled(before, before, "kvrp-a")).toBe(false);
    expect(settled(before, { ...before, lastSuccessfulSyncTime: NOW }, "kvrp-a")).toBe(true);
    // Two syncs within one second: lastSuccessfulSyncTime (whole seconds) stays, the hash moves.
    expect(settled({ ...before, syncHash: "h1" }, { ...before, syncHash: "h2" }, "kvrp-a")).toBe(true);
    expect(settled({ ...before, syncHash: "h1" }, { ...before, syncHash: "h1" }, "kvrp-a")).toBe(false);
    const failed = { ...before, conditions: [{ type: "Update", status: "False", reason: "ProviderError", lastTransitionTime: "t1" }] };
    expect(settled(before, failed, "kvrp-a")).toBe(true);
    expect(settled(failed, failed, "kvrp-a")).toBe(false);
    expect(settled(failed, { ...failed, conditions: [{ ...failed.conditions[0]!, lastTransitionTime: "t2" }] }, "kvrp-a")).toBe(true);
    expect(settled(before, { ...before, forceSynchronization: "someone-else" }, "kvrp-a")).toBe(true);
  });
});
