// When two signals are the same, in one place. Two questions, two keys:
//   - Is this event a duplicate of another (same object, same version — Event Grid redelivers, Key Vault can emit
//     twice)? `signalKey`: reported per event by parseDelivery, so logs account for every event id.
//   - Which signals need a push of their own? `dedupeSignals`: one per object, whatever the versions (content is read
//     fresh from Key Vault anyway), keeping the latest event. Object names compare exactly, as SPCs name them.
import type { RotationSignal } from "../model/index.js";

/** Identity of an event's signal: `vault/objectType/objectName/version` (lower-cased; version "" when absent). */
export function signalKey(s: RotationSignal): string {
  return `${s.vault.toLowerCase()}/${s.objectType}/${s.objectName.toLowerCase()}/${(s.version ?? "").toLowerCase()}`;
}

/** Identity of the object a signal is about: what one push covers. */
export function objectKey(s: Pick<RotationSignal, "vault" | "objectType" | "objectName">): string {
  return `${s.vault}|${s.objectType}|${s.objectName}`;
}

/** One signal per object (the latest by eventTime; the first on ties), in first-seen order. */
export function dedupeSignals(signals: readonly RotationSignal[]): RotationSignal[] {
  const m = new Map<string, RotationSignal>();
  for (const s of signals) {
    const k = objectKey(s);
    const prev = m.get(k);
    if (!prev || Date.parse(s.eventTime) > Date.parse(prev.eventTime)) m.set(k, s);
  }
  return [...m.values()];
}
