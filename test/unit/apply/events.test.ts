// Kubernetes Events are aggregated per object and reason within an invocation, and the background recorder is
// bounded: Events beyond its queue are dropped and counted, never held without limit.
import { describe, expect, it } from "vitest";
import { EventRecorder } from "../../../shared/apply/event-recorder.js";
import { aggregateEvents, type EventSpec } from "../../../shared/apply/events.js";
import type { ClusterApi } from "../../../shared/kube/cluster-api.js";

const ev = (name: string, reason: string, message: string, kind = "Secret"): EventSpec => ({
  namespace: "ns",
  kind,
  apiVersion: "v1",
  name,
  reason,
  message,
});

describe("aggregateEvents", () => {
  it("keeps one Event per object and reason, joining distinct messages", () => {
    const out = aggregateEvents([
      ev("a", "SecretPushed", "keys x to o1"),
      ev("a", "SecretPushed", "keys y to o2"),
      ev("a", "SecretPushed", "keys x to o1"),
      ev("a", "PushRefused", "no proof"),
      ev("a", "MountRefreshRequested", "spc s", "Pod"),
      ev("b", "SecretPushed", "keys x to o1"),
    ]);
    expect(out.map((e) => `${e.kind}/${e.name} ${e.reason}: ${e.message}`)).toEqual([
      "Secret/a SecretPushed: keys x to o1; keys y to o2",
      "Secret/a PushRefused: no proof",
      "Pod/a MountRefreshRequested: spc s",
      "Secret/b SecretPushed: keys x to o1",
    ]);
  });
});

describe("EventRecorder", () => {
  it("records in the background, drains, and drops beyond its bound", async () => {
    const created: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const api = {
      recordEvent: async (e: EventSpec) => {
        await gate;
        created.push(e.name);
      },
    } as unknown as ClusterApi;
    const rec = new EventRecorder(2, 3);
    rec.record(api, [ev("a", "R", "m"), ev("b", "R", "m")]);
    rec.record(api, [ev("c", "R", "m"), ev("d", "R", "m")]);
    expect(rec.waiting).toBe(3);
    expect(rec.dropped).toBe(1);
    expect(created).toEqual([]);
    release();
    await rec.drain();
    expect(created.sort()).toEqual(["a", "b", "c"]);
    expect(rec.sent).toBe(3);
    expect(rec.waiting).toBe(0);
  });
});
