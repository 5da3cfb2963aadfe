// Optional `RotationPushed` custom event to a configured Event Grid topic (downstream automation, audit).
import type { TokenCredential } from "@azure/core-auth";
import { EventGridPublisherClient } from "@azure/eventgrid";
import type { Report } from "../model/index.js";

export const ROTATION_PUSHED = "KvRotationPusher.RotationPushed";

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
  try {
    let client = clients.get(endpoint);
    if (!client) {
      client = new EventGridPublisherClient(endpoint, "EventGrid", credential, clientOptions);
      clients.set(endpoint, client);
    }
    await client.send([rotationPushedEvent(report)]);
    return undefined;
  } catch (e) {
    return `RotationPushed not published to ${endpoint}: ${(e as Error).message.split("\n")[0]}`;
  }
}
