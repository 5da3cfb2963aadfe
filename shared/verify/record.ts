// Verification records as workload annotations: one per Key Vault object, JSON, value-free (names, versions, times).
// Tenants can edit their workloads' annotations, so a record is read defensively: wrong shapes are ignored, and with
// KVRP_DIGEST_KEY set every record carries a keyed signature over what it claims (forged records are ignored).
import { RECORD_PREFIX, VERIFY_DONE, VERIFY_LABEL, VERIFY_PENDING, recordKey } from "../lib/annotations.js";
import type { RotationRecord, VerifyProblem, VerifyState, Workload } from "../model/index.js";

/** Signs a record's claims (a keyed digest), when the operator configured a key. */
export type Signer = ((text: string) => string) | undefined;

const STATES: readonly VerifyState[] = ["pending", "verified", "failed"];
const MAX_PROBLEMS = 5;
const MAX_PROBLEM_CHARS = 300;

/** What the signature covers: the workload it is on and the rotation it claims. */
function claims(
  w: Pick<Workload, "kind" | "namespace" | "name">,
  r: Pick<RotationRecord, "vault" | "objectName" | "version" | "eventTime" | "since">,
) {
  return [w.kind, w.namespace, w.name, r.vault, r.objectName, r.version, r.eventTime, r.since].join("\n");
}

export function encodeRecord(w: Pick<Workload, "kind" | "namespace" | "name">, r: RotationRecord, sign: Signer): string {
  const problems = r.problems?.slice(0, MAX_PROBLEMS).map((p) => ({
    ...(p.pod ? { pod: p.pod.slice(0, 253) } : {}),
    reason: p.reason.slice(0, 64),
    detail: p.detail.slice(0, MAX_PROBLEM_CHARS),
  }));
  return JSON.stringify({
    ...r,
    ...(problems ? { problems } : {}),
    ...(sign ? { sig: sign(claims(w, r)) } : {}),
  });
}

const isIso = (v: unknown): v is string => typeof v === "string" && v.length <= 40 && Number.isFinite(Date.parse(v));
const isName = (v: unknown, max: number): v is string => typeof v === "string" && v.length > 0 && v.length <= max && /^[\w.-]+$/.test(v);

function isProblem(p: unknown): p is VerifyProblem {
  const o = p as Record<string, unknown>;
  return (
    !!o &&
    typeof o === "object" &&
    typeof o.reason === "string" &&
    typeof o.detail === "string" &&
    (o.pod === undefined || typeof o.pod === "string")
  );
}

/** One annotation value → a record, or null when it is not one of ours (shape, names, signature). */
export function decodeRecord(w: Pick<Workload, "kind" | "namespace" | "name">, text: string, sign: Signer): RotationRecord | null {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (!o || typeof o !== "object") return null;
  if (!isName(o.vault, 24) || !isName(o.objectName, 127) || !isName(o.version, 64)) return null;
  if (!isIso(o.eventTime) || !isIso(o.since) || !STATES.includes(o.state as VerifyState)) return null;
  const r: RotationRecord = {
    vault: o.vault,
    objectName: o.objectName,
    version: o.version,
    eventTime: o.eventTime,
    since: o.since,
    state: o.state as VerifyState,
  };
  if (isIso(o.finishedAt)) r.finishedAt = o.finishedAt;
  if (typeof o.eventToDoneMs === "number" && Number.isFinite(o.eventToDoneMs)) r.eventToDoneMs = o.eventToDoneMs;
  if (Array.isArray(o.problems)) r.problems = o.problems.filter(isProblem).slice(0, MAX_PROBLEMS);
  if (sign && o.sig !== sign(claims(w, r))) return null;
  return r;
}

/** Every record a workload carries (annotation key → record), forged or malformed ones left out. */
export function recordsOf(w: Workload, sign: Signer): Map<string, RotationRecord> {
  const out = new Map<string, RotationRecord>();
  for (const [k, v] of Object.entries(w.annotations)) {
    if (!k.startsWith(RECORD_PREFIX)) continue;
    const r = decodeRecord(w, v, sign);
    // The key must be the one for the object the record names (a copied annotation under another key is not ours).
    if (r && recordKey(r.vault, r.objectName) === k) out.set(k, r);
  }
  return out;
}

/** The metadata patch that stores records on a workload, with the label saying whether any is still pending. */
export function recordsPatch(
  w: Workload,
  updates: Map<string, RotationRecord | null>,
  sign: Signer,
): { labels: Record<string, string | null>; annotations: Record<string, string | null> } {
  const all = recordsOf(w, sign);
  const annotations: Record<string, string | null> = {};
  for (const [k, r] of updates) {
    if (r) {
      all.set(k, r);
      annotations[k] = encodeRecord(w, r, sign);
    } else {
      all.delete(k);
      annotations[k] = null;
    }
  }
  const pending = [...all.values()].some((r) => r.state === "pending");
  return { labels: { [VERIFY_LABEL]: all.size === 0 ? null : pending ? VERIFY_PENDING : VERIFY_DONE }, annotations };
}

export { VERIFY_LABEL, VERIFY_PENDING, VERIFY_DONE, recordKey };
