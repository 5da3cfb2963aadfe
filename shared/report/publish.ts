// Optional custom events to a configured Event Grid topic (downstream automation, audit): `RotationPushed` for every
// push report, and `RotationVerified` / `RotationFailed` when a rotation's verification finishes in a cluster.
import type { TokenCredential } from "@azure/core-auth";
import { EventGridPublisherClient } from "@azure/eventgrid";
import type { Report, RotationOutcome } from "../model/index.js";

export const ROTATION_PUSHED = "KvRotationPusher.RotationPushed";
export const ROTATION_VERIFIED = "KvRotationPusher.RotationVerified";
export const ROTATION_FAILED = "KvRotationPusher.RotationFailed";

/** A finished rotation's outcome in one cluster: which workloads, and for a failure which pods and why. */
export function rotationOutcomeEvent(o: RotationOutcome) {
  return {
    eventType: o.state === "verified" ? ROTATION_VERIFIED : ROTATION_FAILED,
    subject: `vaults/${o.vault}/objects/${o.objectName}/versions/${o.version}`,
    dataVersion: "1.0",
    eventTime: new Date(),
    data: {
      cluster: o.cluster,
      vault: o.vault,
      objectName: o.objectName,
      version: o.version,
      eventTime: o.eventTime,
      state: o.state,
      ...(o.eventToDoneMs !== undefined ? { eventToDoneMs: o.eventToDoneMs } : {}),
      workloads: o.workloads.map((w) => ({
        target: w.target,
        state: w.state,
        problems: w.problems.map((p) => ({ ...(p.pod ? { pod: p.pod } : {}), reason: p.reason, detail: p.detail })),
      })),
    },
  };
}

/** The event body: counts, timings and targets — never a value. */
export function rotationPushedEvent(report: Report) {
  const first = report.signals[0];
  return {
    eventType: ROTATION_PUSHED,
    subject: first ? `vaults/${first.vault}/${first.objectType}s/${first.objectName}` : `reconcile/${report.invocationId}`,
    dataVersion: "1.0",
    eventTime: new Date(),
    data: {
      invocationId: report.invocationId,
      trigger: report.trigger,
      dryRun: report.dryRun,
      signals: report.signals,
      counts: report.counts,
      skipsByReason: report.skipsByReason,
      timings: report.timings,
      retry: report.retry,
      clusters: report.clusters.map((c) => ({
        cluster: c.cluster,
        ok: c.ok,
        failure: c.failure,
        changed: c.actions
          .filter((a) => a.status === "applied")
          .map((a) => ({ type: a.type, target: a.target, keys: a.keys, versions: a.versions, digest: a.digest })),
      })),
      ...(report.drift ? { drift: report.drift } : {}),
    },
  };
}

const clients = new Map<string, EventGridPublisherClient<"EventGrid">>();

/** Publishes the report; a failure is returned (and logged by the caller), never thrown: reporting must not fail a push. */
export async function publishReport(
  endpoint: string,
  credential: TokenCredential,
  report: Report,
  clientOptions: Record<string, unknown> = {},
): Promise<string | undefined> {
  return send(endpoint, credential, [rotationPushedEvent(report)], "RotationPushed", clientOptions);
}

/** Publishes finished rotations (RotationVerified / RotationFailed); a failure is returned, never thrown. */
export async function publishOutcomes(
  endpoint: string,
  credential: TokenCredential,
  outcomes: RotationOutcome[],
  clientOptions: Record<string, unknown> = {},
): Promise<string | undefined> {
  if (outcomes.length === 0) return undefined;
  return send(endpoint, credential, outcomes.map(rotationOutcomeEvent), "rotation outcomes", clientOptions);
}

async function send(
  endpoint: string,
  credential: TokenCredential,
  events: ReturnType<typeof rotationPushedEvent | typeof rotationOutcomeEvent>[],
  what: string,
  clientOptions: Record<string, unknown>,
): Promise<string | undefined> {
  try {
    let client = clients.get(endpoint);
    if (!client) {
      client = new EventGridPublisherClient(endpoint, "EventGrid", credential, clientOptions);
      clients.set(endpoint, client);
    }
    await client.send(events);
    return undefined;
  } catch (e) {
    return `${what} not published to ${endpoint}: ${(e as Error).message.split("\n")[0]}`;
  }
}
