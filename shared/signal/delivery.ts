// Parse one Event Grid delivery body: a single event object (CloudEvents structured mode, or what the Functions
// host hands one invocation) or an array (Event Grid schema always; CloudEvents batch mode), or the same as a JSON
// string (CLI `event <file|->`).
//
// Dedupe choice (keys in dedupe.ts): duplicates are REPORTED, not folded. The result has exactly one entry per input
// event, in input order (so logs can account for every event id); the 2nd..nth event whose signal has the same
// vault/objectType/objectName/version (names compared case-insensitively, like Key Vault) becomes
// `{kind: "duplicate", eventId, duplicateOf, key}` pointing at the first one, which keeps its signal (and eventTime).
// Different versions of the same object are NOT duplicates; `signalsOf` then folds them into one push per object.

import { sanitizeForLog } from "../names/untrusted.js";
import type { RotationSignal } from "../model/index.js";
import { dedupeSignals, signalKey } from "./dedupe.js";
import { parseKeyVaultEvent, type EventContext, type ParsedEvent } from "./keyvault-event.js";

export const DEFAULT_MAX_EVENTS = 5000;

export interface DeliveryContext extends EventContext {
  /** Batch cap; a larger array is rejected as a whole with one reason. Default 5000. */
  maxEvents?: number;
}

export interface DuplicateEvent {
  kind: "duplicate";
  eventId?: string;
  /** eventId of the first event in the batch with the same signal key. */
  duplicateOf?: string;
  /** the shared signal key (see `signalKey`). */
  key: string;
}

export type DeliveryEntry = ParsedEvent | DuplicateEvent;

/** The signals of a parsed delivery that need a push: duplicates dropped, one per object (`dedupeSignals`), in order. */
export function signalsOf(entries: readonly DeliveryEntry[]): RotationSignal[] {
  const out: RotationSignal[] = [];
  for (const e of entries) if (e.kind === "signal") out.push(e.signal);
  return dedupeSignals(out);
}

/** Parse a delivery body into one entry per event. Never throws. */
export function parseDelivery(body: unknown, ctx: DeliveryContext): DeliveryEntry[] {
  const max = ctx.maxEvents ?? DEFAULT_MAX_EVENTS;
  let value = body;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value) as unknown;
    } catch (err) {
      return [
        {
          kind: "rejected",
          reason: `delivery body is not valid JSON (${sanitizeForLog(err instanceof Error ? err.message : "parse error", 80)}); expected an event object or an array of events`,
        },
      ];
    }
  }
  const events: readonly unknown[] = Array.isArray(value) ? value : [value];
  if (events.length > max) {
    return [
      {
        kind: "rejected",
        reason: `delivery has ${events.length} events; at most ${max} are accepted per delivery (Event Grid batches are far smaller: check the subscription's max events per batch)`,
      },
    ];
  }

  const firstByKey = new Map<string, string | undefined>();
  const out: DeliveryEntry[] = [];
  for (const raw of events) {
    const parsed = parseKeyVaultEvent(raw, ctx);
    if (parsed.kind !== "signal") {
      out.push(parsed);
      continue;
    }
    const key = signalKey(parsed.signal);
    if (firstByKey.has(key)) {
      const dup: DuplicateEvent = { kind: "duplicate", key };
      if (parsed.signal.eventId !== undefined) dup.eventId = parsed.signal.eventId;
      const first = firstByKey.get(key);
      if (first !== undefined) dup.duplicateOf = first;
      out.push(dup);
      continue;
    }
    firstByKey.set(key, parsed.signal.eventId);
    out.push(parsed);
  }
  return out;
}
