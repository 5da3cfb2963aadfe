import { describe, expect, it } from "vitest";
import { dedupeSignals, objectKey, signalKey } from "../../../shared/signal/dedupe.js";
import { parseDelivery, signalsOf } from "../../../shared/signal/delivery.js";
import type { RotationSignal } from "../../../shared/model/index.js";
import { CTX, egEvent } from "./fixtures.js";

const sig = (over: Partial<RotationSignal>): RotationSignal => ({
  vault: "kv-prod",
  objectType: "secret",
  objectName: "db",
  eventTime: "2026-05-01T12:00:00.000Z",
  source: "eventgrid",
  ...over,
});

describe("dedupeSignals: one push per object", () => {
  it("versions of one object fold into the latest event; other objects keep first-seen order", () => {
    const a1 = sig({ version: "1", eventId: "a1", eventTime: "2026-05-01T12:00:00.000Z" });
    const b = sig({ objectName: "api", eventId: "b" });
    const a2 = sig({ version: "2", eventId: "a2", eventTime: "2026-05-01T12:00:05.000Z" });
    const a0 = sig({ version: "0", eventId: "a0", eventTime: "2026-05-01T11:59:00.000Z" });
    expect(dedupeSignals([a1, b, a2, a0]).map((s) => s.eventId)).toEqual(["a2", "b"]);
  });
  it("ties keep the first; type and vault are part of the object; names compare exactly, as SPCs name them", () => {
    expect(dedupeSignals([sig({ eventId: "x" }), sig({ eventId: "y" })]).map((s) => s.eventId)).toEqual(["x"]);
    const kinds = [sig({}), sig({ objectType: "certificate" }), sig({ vault: "kv-other" }), sig({ objectName: "DB" })];
    expect(dedupeSignals(kinds)).toHaveLength(4);
    expect(objectKey(sig({}))).toBe("kv-prod|secret|db");
  });
  it("the event key includes the version and ignores case", () => {
    expect(signalKey(sig({ objectName: "DB", version: "AB" }))).toBe("kv-prod/secret/db/ab");
  });
  it("signalsOf: duplicates dropped, then versions folded — a delivery with two versions pushes once", () => {
    const v1 = egEvent({ id: "a", eventTime: "2026-05-01T12:00:00Z" }, { Version: "11111111111111111111111111111111", Id: undefined });
    const v2 = egEvent({ id: "b", eventTime: "2026-05-01T12:00:09Z" }, { Version: "22222222222222222222222222222222", Id: undefined });
    const entries = parseDelivery([v1, v2, v1], CTX);
    expect(entries.map((e) => e.kind)).toEqual(["signal", "signal", "duplicate"]);
    expect(signalsOf(entries).map((s) => s.eventId)).toEqual(["b"]);
  });
});
