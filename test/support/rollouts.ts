// How many rollouts a workload had: its pod template's changes, counted by one watch per workload kind and cluster.
// A Deployment's metadata.generation cannot say it: the API server bumps it on annotation changes too ("annotation
// updates bump the generation because annotations are copied from deployments to their replica sets",
// pkg/registry/apps/deployment/strategy.go), and the pusher keeps its verification records in workload annotations.
import { CustomObjectsApi, Watch, type KubeConfig } from "@kubernetes/client-node";

type Kind = "Deployment" | "StatefulSet" | "DaemonSet";
const PLURAL: Record<Kind, string> = { Deployment: "deployments", StatefulSet: "statefulsets", DaemonSet: "daemonsets" };

interface Raw {
  metadata?: { namespace?: string; name?: string; generation?: number; resourceVersion?: string };
  spec?: { template?: unknown };
}

interface Seen {
  template: string;
  /** 1 when first seen, +1 per template change after. */
  count: number;
  rv: number;
}

export class RolloutCounter {
  private readonly seen = new Map<string, Seen>();
  private readonly watches = new Map<Kind, Promise<() => void>>();
  private readonly custom: CustomObjectsApi;
  constructor(private readonly kc: KubeConfig) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** Template versions seen so far (differences between two calls = rollouts in between). */
  async rollouts(ns: string, kind: Kind, name: string): Promise<number> {
    await this.watching(kind);
    const now = (await this.custom.getNamespacedCustomObject({
      group: "apps",
      version: "v1",
      namespace: ns,
      plural: PLURAL[kind],
      name,
    })) as Raw;
    const key = `${kind}/${ns}/${name}`;
    const rv = Number(now.metadata?.resourceVersion ?? 0);
    // Until the watch has delivered what this read saw.
    for (let i = 0; (this.seen.get(key)?.rv ?? -1) < rv; i++) {
      if (i > 3000) throw new Error(`rollout counter: the watch did not deliver ${key}@${rv} within 30 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.seen.get(key)!.count;
  }

  private watching(kind: Kind): Promise<() => void> {
    let p = this.watches.get(kind);
    if (!p) {
      let stopped = false;
      let abort = () => undefined as void;
      const onEvent = (type: string, obj: Raw) => {
        const key = `${kind}/${obj.metadata?.namespace}/${obj.metadata?.name}`;
        if (type === "DELETED") return void this.seen.delete(key);
        const template = JSON.stringify(obj.spec?.template ?? {});
        const s = this.seen.get(key);
        const rv = Number(obj.metadata?.resourceVersion ?? 0);
        if (!s) this.seen.set(key, { template, count: 1, rv });
        else this.seen.set(key, { template, count: s.count + (s.template === template ? 0 : 1), rv: Math.max(s.rv, rv) });
      };
      // No resourceVersion: each (re)start lists every object (ADDED), then every change. An API server restarted by a
      // test ends the watch: it starts again (changes made while it was down count once).
      const start = async (): Promise<void> => {
        if (stopped) return;
        try {
          const ctl = await new Watch(this.kc).watch(`/apis/apps/v1/${PLURAL[kind]}`, {}, onEvent, () => {
            if (!stopped) setTimeout(() => void start(), 200);
          });
          abort = () => ctl.abort();
        } catch {
          if (!stopped) setTimeout(() => void start(), 200);
        }
      };
      p = start().then(() => () => {
        stopped = true;
        abort();
      });
      this.watches.set(kind, p);
    }
    return p;
  }

  async stop(): Promise<void> {
    for (const p of this.watches.values()) (await p)();
  }
}
