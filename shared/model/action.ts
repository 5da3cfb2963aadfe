// The plan's vocabulary: actions, each with a typed reason from a closed set.
import type { WorkloadKind } from "./workload.js";

/** A decision's reason: a code from a closed set (counted, matched, documented) and a value-free detail for people. */
export interface Reason<C extends string = ReasonCode> {
  code: C;
  detail: string;
}

export const SKIP_CODES = [
  "namespace-excluded",
  "vault-not-bound",
  "over-budget",
  "spc-invalid",
  "pinned-version",
  "secret-not-synced",
  "secret-object-invalid",
  "up-to-date",
  "no-proof",
  "object-not-found",
  "object-disabled",
  "object-unusable",
  "render-failed",
  "driver-no-republish",
  "mount-refresh-off",
  "within-grace",
  "opt-out",
  "paused",
  "already-restarted",
  "sync-pending",
  "sync-failed",
] as const;
export type SkipCode = (typeof SKIP_CODES)[number];

export type PatchCode = "secret-behind";
export type NudgeCode = "mount-behind" | "sync-behind";
export type RestartCode = "env-consumer" | "reload-annotation" | "opted-in" | "mount-not-refreshable";
export type ReasonCode = SkipCode | PatchCode | NudgeCode | RestartCode;

/** `vault/object@version`: what a write moves a target to. */
export interface ObjectVersion {
  vault: string;
  objectName: string;
  version: string;
}

export interface PatchSecret {
  type: "patchSecret";
  namespace: string;
  name: string;
  /** base64 values of the keys that change (merge patch; other keys stay). */
  data: Record<string, string>;
  keys: string[];
  /** The objects (and versions) whose renderings the keys receive. */
  objects: ObjectVersion[];
  /** The version of each object the Secret was proven to hold before (trust: only the driver could have put it there). */
  provenFrom: ObjectVersion[];
  reason: Reason<PatchCode>;
  /** Keyed digest of `data` (KVRP_DIGEST_KEY), for correlating reports with Events; absent without a key. */
  digest?: string;
  /** As inventoried: the write is conditional on it (409 → redelivery), so an older plan never overwrites a newer write. */
  resourceVersion?: string;
  /**
   * What the written keys held when proven (base64; undefined = absent). After a 409 the write is retried once only
   * if they still do: then only something else changed (the driver's owner references, another key, a label).
   */
  expected: Record<string, string | undefined>;
}

export interface NudgePod {
  type: "nudgePod";
  namespace: string;
  name: string;
  spc: string;
  annotations: Record<string, string>;
  reason: Reason<NudgeCode>;
}

/**
 * Sets a SecretSync's spec.forceSynchronization so the sync controller re-fetches at once, with the SecretSync's own
 * service account. No Secret data is written: nothing to prove (the controller is the only writer of that Secret).
 */
export interface NudgeSecretSync {
  type: "nudgeSecretSync";
  namespace: string;
  name: string;
  /** The new forceSynchronization value (derived from the versions asked for; valid per the field's pattern). */
  value: string;
  /** The objects (and versions) the sync is asked to bring. */
  objects: ObjectVersion[];
  reason: Reason<NudgeCode>;
  /** As inventoried: the patch is conditional on it (409 → redelivery), like every other write. */
  resourceVersion?: string;
  /**
   * The forceSynchronization value the plan saw: a 409 (the controller updated the status meanwhile, which bumps the
   * resourceVersion) is retried once only if the field still holds it.
   */
  expected: { forceSynchronization: string };
}

export interface RestartWorkload {
  type: "restartWorkload";
  namespace: string;
  kind: WorkloadKind;
  name: string;
  annotations: Record<string, string>;
  reason: Reason<RestartCode>;
  resourceVersion?: string;
  /** What the template annotations it sets held when planned: a 409 is retried once only if they still do. */
  expected: Record<string, string | undefined>;
}

export interface Skip {
  type: "skip";
  namespace?: string;
  target: string;
  reason: Reason<SkipCode>;
}

export type Action = PatchSecret | NudgePod | NudgeSecretSync | RestartWorkload | Skip;
export type Write = Exclude<Action, Skip>;

/** How a target is named in reports, logs and Events: `Kind namespace/name`. */
export function targetOf(a: Action): string {
  switch (a.type) {
    case "patchSecret":
      return `Secret ${a.namespace}/${a.name}`;
    case "nudgePod":
      return `Pod ${a.namespace}/${a.name}`;
    case "nudgeSecretSync":
      return `SecretSync ${a.namespace}/${a.name}`;
    case "restartWorkload":
      return `${a.kind} ${a.namespace}/${a.name}`;
    case "skip":
      return a.target;
  }
}

export const shortVersion = (v: string): string => v.slice(0, 8);
export const objectVersionLabel = (o: ObjectVersion): string => `${o.objectName}@${shortVersion(o.version)}`;
