// How many rollouts a workload had: its pod template's changes, counted by a watch from the first look. A Deployment's
// metadata.generation cannot say it: the API server bumps it on annotation changes too ("annotation updates bump the
// generation because annotations are copied from deployments to their replica sets", pkg/registry/apps/deployment/
// strategy.go), and the pusher keeps its verification records in workload annotations.
import { CustomObjectsApi, Watch, type KubeConfig } from "@kubernetes/client-node";

type Kind = "Deployment" | "StatefulSet" | "DaemonSet";
const PLURAL: Record<Kind, string> = { Deployment: "deployments", StatefulSet: "statefulsets", DaemonSet: "daemonsets" };

interface Raw {
  metadata?: { generation?: number; resourceVersion?: string };
  spec?: { template?: unknown };
}

interface Counter {
  template: string;
  count: number;
  seenRv: number;
  abort: () => void;
}

export class RolloutCounter {
  private readonly counters = new Map<string, Promise<Counter>>();
  private readonly custom: CustomObjectsApi;
  constructor(private readonly kc: KubeConfig) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** 1 at creation (if first looked at before any rollout) plus one per template change since the first look. */
  async rollouts(ns: string, kind: Kind, name: string): Promise<number> {
    const key = `${kind}/${ns}/${name}`;
    // Plain JSON, as the watch delivers it (the typed client's objects serialize differently).
    const now = (await this.custom.getNamespacedCustomObject({
      group: "apps",
      version: "v1",
      namespace: ns,
      plural: PLURAL[kind],
      name,
    })) as Raw;
    const rv = Number(now.metadata?.resourceVersion ?? 0);
    let p = this.counters.get(key);
    if (!p) {
      p = this.start(now, ns, kind, name);
      this.counters.set(key, p);
    }
    const c = await p;
    // The watch has seen at least what this read saw.
    for (let i = 0; c.seenRv < rv && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
    return c.count;
  }

  private async start(now: Raw, ns: string, kind: Kind, name: string): Promise<Counter> {
    // Template changes before the first look are counted by metadata.generation (no record was written yet).
    const c: Counter = {
      template: JSON.stringify(now.spec?.template ?? {}),
      count: now.metadata?.generation ?? 1,
      seenRv: Number(now.metadata?.resourceVersion ?? 0),
      abort: () => undefined,
    };
    const ctl = await new Watch(this.kc).watch(
      `/apis/apps/v1/namespaces/${ns}/${PLURAL[kind]}`,
      { fieldSelector: `metadata.name=${name}`, resourceVersion: now.metadata?.resourceVersion ?? "0" },
      (type, obj: Raw) => {
        if (type !== "MODIFIED" && type !== "ADDED") return;
        const t = JSON.stringify(obj.spec?.template ?? {});
        if (t !== c.template) c.count++;
        c.template = t;
        c.seenRv = Math.max(c.seenRv, Number(obj.metadata?.resourceVersion ?? 0));
      },
      () => undefined,
    );
    c.abort = () => ctl.abort();
    return c;
  }

  async stop(): Promise<void> {
    for (const p of this.counters.values()) (await p).abort();
  }
}
