// Helpers for storms: a seeded PRNG, CloudEvents conversion, and a rollout tracker that watches workloads on the
// real API server and records every pod-template change (so duplicate rollouts and version regressions show).
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import { PREFIX } from "../../../shared/lib/annotations.js";

/** mulberry32: small, fast, seeded (the seed is printed so a failing storm can be replayed). */
export function prng(seed: number): {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(a: readonly T[]): T;
  shuffle<T>(a: T[]): T[];
} {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: (a) => a[int(0, a.length - 1)]!,
    shuffle(a) {
      for (let i = a.length - 1; i > 0; i--) {
        const j = int(0, i);
        [a[i], a[j]] = [a[j]!, a[i]!];
      }
      return a;
    },
  };
}

/** Event Grid schema → CloudEvents 1.0 structured (topic→source, eventType→type, eventTime→time). */
export function toCloudEvent(eg: {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: unknown;
}): Record<string, unknown> {
  return { specversion: "1.0", id: eg.id, source: eg.topic, type: eg.eventType, subject: eg.subject, time: eg.eventTime, data: eg.data };
}

export interface TemplateSnapshot {
  generation: number;
  /** Our pod-template annotations (object → version), as JSON with sorted keys. */
  ours: string;
  /** The whole pod template, as JSON: a new snapshot only when it changes. */
  template?: string;
}

const KINDS = [
  { kind: "Deployment", path: "/apis/apps/v1/deployments" },
  { kind: "StatefulSet", path: "/apis/apps/v1/statefulsets" },
  { kind: "DaemonSet", path: "/apis/apps/v1/daemonsets" },
] as const;

function ours(annotations: Record<string, string> | undefined): string {
  const e = Object.entries(annotations ?? {})
    .filter(([k]) => k.startsWith(`${PREFIX}/v-`))
    .sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(Object.fromEntries(e));
}

/**
 * Watches Deployments/StatefulSets/DaemonSets in the given namespaces and keeps every template change's set of our
 * annotations. A template change is a rollout; a Deployment's generation also moves when only its annotations change
 * (the pusher's verification records), so generations alone would count those too.
 */
export async function trackRollouts(kc: KubeConfig, namespaces: string[]) {
  const history = new Map<string, TemplateSnapshot[]>();
  const aborts: AbortController[] = [];
  const errors: string[] = [];
  let stopped = false;
  const watch = new Watch(kc);
  for (const k of KINDS) {
    aborts.push(
      await watch.watch(
        k.path,
        {},
        (
          _type: string,
          obj: {
            metadata?: { namespace?: string; name?: string; generation?: number };
            spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
          },
        ) => {
          const ns = obj.metadata?.namespace ?? "";
          if (!namespaces.includes(ns)) return;
          const key = `${k.kind} ${ns}/${obj.metadata?.name}`;
          const h = history.get(key) ?? [];
          const template = JSON.stringify(obj.spec?.template ?? {});
          const snap = { generation: obj.metadata?.generation ?? 0, ours: ours(obj.spec?.template?.metadata?.annotations), template };
          if (!h.some((s) => s.generation === snap.generation) && h.at(-1)?.template !== template) h.push(snap);
          history.set(key, h);
        },
        (err: unknown) => {
          if (!stopped) errors.push(`watch ${k.path} ended: ${String((err as Error)?.message ?? err)}`);
        },
      ),
    );
  }
  return {
    history,
    errors,
    stop() {
      stopped = true;
      for (const a of aborts) a.abort();
    },
    /** Rollouts after the first snapshot, and how many of them repeated a template set already seen (or regressed). */
    analyse(key: string): { rollouts: number; distinct: number; duplicates: number; snapshots: TemplateSnapshot[] } {
      const snaps = [...(history.get(key) ?? [])].sort((a, b) => a.generation - b.generation);
      if (snaps.length === 0) return { rollouts: 0, distinct: 0, duplicates: 0, snapshots: [] };
      const seen = new Set([snaps[0]!.ours]);
      let duplicates = 0;
      for (const s of snaps.slice(1)) {
        if (seen.has(s.ours)) duplicates++;
        seen.add(s.ours);
      }
      // One snapshot per template change, from a continuous watch: the rollouts after the first.
      const rollouts = snaps.length - 1;
      return { rollouts, distinct: seen.size - 1, duplicates, snapshots: snaps };
    },
  };
}
