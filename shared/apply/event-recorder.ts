// Kubernetes Events leave the critical path: an invocation hands them to this per-instance recorder after its writes
// and returns; the recorder creates them in the background, a few at a time.
//
// Why background is acceptable: Events are diagnostics, best effort by Kubernetes' own design (client-go's recorder
// drops them under pressure; the API server expires them after an hour). Azure Functions does not track work left
// running after a handler returns ("Make sure background tasks complete", learn.microsoft.com/azure/azure-functions/
// performance-reliability): an instance recycled right after an invocation may drop that invocation's Events. The
// record that counts — the report and its `push result` / `reconcile summary` log lines — is written before the
// handler returns. Bounded: at most `maxPending` Events wait; beyond that new ones are dropped and counted.
import type { ClusterApi } from "../kube/cluster-api.js";
import { aggregateEvents, recordEvents, type EventSpec } from "./events.js";

export class EventRecorder {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  /** Events dropped because too many were waiting. */
  dropped = 0;
  /** Events handed to the API server (created or failed: best effort). */
  sent = 0;

  constructor(
    private readonly concurrency: number,
    private readonly maxPending = 20_000,
  ) {}

  /** Queues one invocation's Events for one cluster (aggregated: one per object and reason). */
  record(api: ClusterApi, events: EventSpec[]): void {
    const batch = aggregateEvents(events);
    const room = Math.max(0, this.maxPending - this.pending);
    const taken = batch.slice(0, room);
    this.dropped += batch.length - taken.length;
    if (taken.length === 0) return;
    this.pending += taken.length;
    this.tail = this.tail.then(async () => {
      await recordEvents(api, taken, this.concurrency);
      this.pending -= taken.length;
      this.sent += taken.length;
    });
  }

  /** Resolves once every queued Event was sent (the CLI and tests wait for it before closing). */
  drain(): Promise<void> {
    return this.tail;
  }

  get waiting(): number {
    return this.pending;
  }
}
