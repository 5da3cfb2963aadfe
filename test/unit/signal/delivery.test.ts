import { describe, expect, it } from "vitest";
import { signalKey } from "../../../shared/signal/dedupe.js";
import { DEFAULT_MAX_EVENTS, parseDelivery, signalsOf } from "../../../shared/signal/delivery.js";
import {
  CTX,
  MS_CE_SECRET_SAMPLE,
  MS_EG_CERT_SAMPLE,
  MS_EG_KEY_SAMPLE,
  MS_EG_SECRET_SAMPLE,
  egEvent,
  first,
  toCloudEvent,
} from "./fixtures.js";

describe("parseDelivery", () => {
  it("Event Grid schema arrives as an array: Microsoft's three samples in one batch", () => {
    const body = [...MS_EG_SECRET_SAMPLE, ...MS_EG_CERT_SAMPLE, ...MS_EG_KEY_SAMPLE];
    const out = parseDelivery(body, CTX);
    expect(out.map((e) => e.kind)).toEqual(["signal", "signal", "signal"]);
    expect(signalsOf(out).map((s) => `${s.objectType}:${s.objectName}`)).toEqual(["secret:newsecret", "certificate:newcert", "key:newkey"]);
  });

  it("a single CloudEvent object (structured mode) and a CloudEvents batch array", () => {
    expect(signalsOf(parseDelivery(first(MS_CE_SECRET_SAMPLE), CTX))).toHaveLength(1);
    const batch = [toCloudEvent(first(MS_EG_CERT_SAMPLE)), toCloudEvent(first(MS_EG_KEY_SAMPLE))];
    expect(signalsOf(parseDelivery(batch, CTX)).map((s) => s.source)).toEqual(["cloudevents", "cloudevents"]);
  });

  it("a JSON string body (CLI `event <file>`), and invalid JSON", () => {
    expect(signalsOf(parseDelivery(JSON.stringify(MS_EG_SECRET_SAMPLE), CTX))).toHaveLength(1);
    const bad = parseDelivery("[{", CTX);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ kind: "rejected" });
    expect(bad[0]?.kind === "rejected" && bad[0].reason).toMatch(/^delivery body is not valid JSON/);
  });

  it("an empty array is an empty result", () => {
    expect(parseDelivery([], CTX)).toEqual([]);
  });

  it("one entry per input event, in order, mixing kinds", () => {
    const body = [egEvent(), { nope: 1 }, egEvent({ id: "e3", eventType: "Microsoft.KeyVault.SecretNearExpiry" }), null];
    expect(parseDelivery(body, CTX).map((e) => e.kind)).toEqual(["signal", "rejected", "expiry", "rejected"]);
  });

  it("caps the batch (default 5000) with one rejection", () => {
    expect(DEFAULT_MAX_EVENTS).toBe(5000);
    const big = Array.from({ length: DEFAULT_MAX_EVENTS + 1 }, () => ({}));
    const out = parseDelivery(big, CTX);
    expect(out).toHaveLength(1);
    expect(out[0]?.kind === "rejected" && out[0].reason).toMatch(/^delivery has 5001 events; at most 5000 are accepted/);
    expect(
      parseDelivery(
        Array.from({ length: 4 }, () => egEvent()),
        { ...CTX, maxEvents: 3 },
      ),
    ).toHaveLength(1);
    expect(
      parseDelivery(
        Array.from({ length: DEFAULT_MAX_EVENTS }, () => ({})),
        CTX,
      ),
    ).toHaveLength(DEFAULT_MAX_EVENTS);
  });

  describe("dedupe: duplicates are reported, the first keeps its signal", () => {
    it("same vault/type/name/version under different event ids (a redelivery inside one batch)", () => {
      const out = parseDelivery([egEvent({ id: "a" }), egEvent({ id: "b" }), egEvent({ id: "c" })], CTX);
      expect(out.map((e) => e.kind)).toEqual(["signal", "duplicate", "duplicate"]);
      expect(out[1]).toEqual({
        kind: "duplicate",
        eventId: "b",
        duplicateOf: "a",
        key: "kv-prod/secret/db-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      });
      expect(signalsOf(out)).toHaveLength(1);
    });
    it("names compare case-insensitively; Event Grid and CloudEvents copies are the same signal", () => {
      const upper = egEvent(
        { id: "b", subject: "DB-PASSWORD" },
        {
          ObjectName: "DB-PASSWORD",
          Id: undefined,
          Version: "0A1B2C3D4E5F60718293A4B5C6D7E8F9",
        },
      );
      const ce = toCloudEvent(egEvent({ id: "c" }));
      expect(parseDelivery([egEvent({ id: "a" }), upper, ce], CTX).map((e) => e.kind)).toEqual(["signal", "duplicate", "duplicate"]);
    });
    it("different versions of one object are both kept; versionless duplicates fold", () => {
      const v2 = egEvent({ id: "b" }, { Version: "ffffffffffffffffffffffffffffffff", Id: undefined });
      expect(parseDelivery([egEvent({ id: "a" }), v2], CTX).map((e) => e.kind)).toEqual(["signal", "signal"]);
      const nv = (id: string) => egEvent({ id }, { Version: null, Id: undefined });
      expect(parseDelivery([nv("a"), nv("b")], CTX).map((e) => e.kind)).toEqual(["signal", "duplicate"]);
    });
    it("signalKey", () => {
      expect(
        signalKey({
          vault: "KV",
          objectType: "key",
          objectName: "N",
          eventTime: "",
          source: "http",
        }),
      ).toBe("kv/key/n/");
    });
  });
});
