// SecretProviderClasses kept warm between invocations: per ClusterApi one paged list when cold, then a watch keeps an
// index by (vault, object name) current, so an event costs O(affected SPCs), not one list of the whole cluster.
//
// Correctness: answers come from the index only while its watch is established and following (events applied in
// order, resourceVersion advanced by events and bookmarks). Whenever it is not — cold, watch connecting, ended,
// failed, 410 Gone, or watch forbidden by RBAC — a call does a fresh paged list (never stale), which reseeds the
// index and restarts the watch from that list's resourceVersion. The watch is an optimisation, never a source of
// truth beyond what the API server streamed; the timer's reconcile still re-reads everything it acts on.
import type { ClusterApi, WatchHandle } from "../kube/cluster-api.js";
import { statusOf } from "../kube/errors.js";
import { toSpc, type RawSpc } from "../kube/translate.js";
import { matchingObjects, type ObjectRef, type Spc } from "../model/index.js";
import type { SpcSource } from "./source.js";

type SignalKey = ObjectRef;

export interface SpcCacheOptions {
  /** Server-side watch timeout (the API server ends the stream; it is resumed from the last resourceVersion). */
  watchTimeoutSeconds?: number;
  /** After a watch is forbidden (RBAC without `watch`), fresh lists only, retrying the watch after this long. */
  forbiddenRetryMs?: number;
  /** First delay before re-opening a failed watch (doubles up to 30 s). */
  retryMs?: number;
  /** Diagnostics (watch failures, fallbacks); no secret data ever reaches it. */
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface SpcCacheStatus {
  live: boolean;
  size: number;
  resourceVersion: string;
  relists: number;
  watchesOpened: number;
  lastWatchError?: string;
}

const indexKey = (vault: string, objectName: string) => `${vault.toLowerCase()}|${objectName.toLowerCase()}`;
const spcKey = (s: { namespace: string; name: string }) => `${s.namespace}/${s.name}`;

interface RawMeta {
  metadata?: { namespace?: string; name?: string; resourceVersion?: string };
}

class ClusterState {
  readonly byKey = new Map<string, Spc>();
  readonly byObject = new Map<string, Set<string>>();
  resourceVersion = "";
  live = false;
  /** Bumped on every relist / watch (re)start: callbacks of older watches are ignored. */
  gen = 0;
  watch: WatchHandle | undefined;
  connecting: Promise<boolean> | undefined;
  inflight: Promise<Spc[]> | undefined;
  timer: NodeJS.Timeout | undefined;
  retryDelay = 0;
  forbiddenUntil = 0;
  relists = 0;
  watchesOpened = 0;
  lastWatchError: string | undefined;

  constructor(readonly api: ClusterApi) {}

  install(items: Spc[], rv: string): void {
    this.byKey.clear();
    this.byObject.clear();
    for (const s of items) this.upsert(s);
    this.resourceVersion = rv;
  }

  upsert(s: Spc): void {
    const k = spcKey(s);
    const prev = this.byKey.get(k);
    if (prev) this.unindex(prev);
    this.byKey.set(k, s);
    for (const o of s.objects) {
      const ik = indexKey(s.keyvaultName, o.objectName);
      let set = this.byObject.get(ik);
      if (!set) this.byObject.set(ik, (set = new Set()));
      set.add(k);
    }
  }

  remove(ns: string, name: string): void {
    const k = `${ns}/${name}`;
    const prev = this.byKey.get(k);
    if (!prev) return;
    this.unindex(prev);
    this.byKey.delete(k);
  }

  private unindex(s: Spc): void {
    const k = spcKey(s);
    for (const o of s.objects) {
      const ik = indexKey(s.keyvaultName, o.objectName);
      const set = this.byObject.get(ik);
      set?.delete(k);
      if (set && set.size === 0) this.byObject.delete(ik);
    }
  }

  forSignal(sig: SignalKey): Spc[] {
    const keys = this.byObject.get(indexKey(sig.vault, sig.objectName));
    if (!keys) return [];
    const out: Spc[] = [];
    for (const k of keys) {
      const s = this.byKey.get(k);
      if (s && matchingObjects(s, sig).length > 0) out.push(s);
    }
    return out.sort((a, b) => spcKey(a).localeCompare(spcKey(b)));
  }
}

export class SpcCache implements SpcSource {
  private readonly states = new Map<ClusterApi, ClusterState>();
  private closed = false;

  constructor(private readonly opts: SpcCacheOptions = {}) {}

  /** Every SPC of the cluster (the timer's scan). */
  async list(api: ClusterApi): Promise<Spc[]> {
    const st = this.state(api);
    if (await this.warm(st)) return [...st.byKey.values()];
    return this.relist(st);
  }

  /** For each signal, the SPCs that reference its object: an index lookup while warm. */
  async forSignals(api: ClusterApi, signals: SignalKey[]): Promise<Spc[][]> {
    const st = this.state(api);
    if (await this.warm(st)) return signals.map((s) => st.forSignal(s));
    const fresh = await this.relist(st);
    return signals.map((sig) => fresh.filter((s) => matchingObjects(s, sig).length > 0));
  }

  status(api: ClusterApi): SpcCacheStatus {
    const st = this.state(api);
    return {
      live: st.live,
      size: st.byKey.size,
      resourceVersion: st.resourceVersion,
      relists: st.relists,
      watchesOpened: st.watchesOpened,
      ...(st.lastWatchError ? { lastWatchError: st.lastWatchError } : {}),
    };
  }

  /** Stops every watch and timer (the index is dropped). */
  close(): void {
    this.closed = true;
    for (const st of this.states.values()) this.stop(st);
    this.states.clear();
  }

  private state(api: ClusterApi): ClusterState {
    let st = this.states.get(api);
    if (!st) {
      st = new ClusterState(api);
      if (!this.closed) this.states.set(api, st);
    }
    return st;
  }

  /** True when the index may answer: the watch is live (or becomes live while we wait for its connection). */
  private async warm(st: ClusterState): Promise<boolean> {
    if (this.closed) return false;
    if (st.live) return true;
    if (st.inflight) {
      await st.inflight.catch(() => undefined);
    }
    if (st.connecting) {
      const ok = await st.connecting;
      return ok && st.live;
    }
    return false;
  }

  /** A fresh paged list: reseeds the index and restarts the watch from the list's resourceVersion. Shared by concurrent callers. */
  private relist(st: ClusterState): Promise<Spc[]> {
    st.inflight ??= (async () => {
      try {
        const { items, resourceVersion } = await st.api.listSpcsVersioned();
        st.relists++;
        if (this.closed) return items;
        this.stopWatch(st);
        st.install(items, resourceVersion);
        if (resourceVersion && Date.now() >= st.forbiddenUntil) this.startWatch(st);
        return items;
      } finally {
        st.inflight = undefined;
      }
    })();
    return st.inflight;
  }

  private stopWatch(st: ClusterState): void {
    st.gen++;
    st.live = false;
    st.connecting = undefined;
    if (st.timer) clearTimeout(st.timer);
    st.timer = undefined;
    st.watch?.abort();
    st.watch = undefined;
  }

  private stop(st: ClusterState): void {
    this.stopWatch(st);
    st.byKey.clear();
    st.byObject.clear();
  }

  private startWatch(st: ClusterState): void {
    const gen = ++st.gen;
    st.live = false;
    st.watchesOpened++;
    let ended = false;
    let settle: (ok: boolean) => void = () => {};
    st.connecting = new Promise<boolean>((r) => (settle = r));
    const current = () => gen === st.gen && !this.closed;

    const onEvent = (type: string, obj: unknown) => {
      if (!current()) return;
      const meta = (obj as RawMeta | undefined)?.metadata;
      switch (type) {
        case "ADDED":
        case "MODIFIED":
          st.upsert(toSpc(obj as RawSpc));
          break;
        case "DELETED":
          st.remove(meta?.namespace ?? "", meta?.name ?? "");
          break;
        case "BOOKMARK":
          break;
        case "ERROR": {
          // A Status: 410 Gone (resourceVersion compacted) or another server-side failure: relist.
          const code = (obj as { code?: number } | undefined)?.code;
          st.lastWatchError = `watch ERROR event${code ? ` ${code}` : ""}`;
          this.log("spc watch error event, re-listing", { cluster: st.api.name, code });
          settle(false);
          this.stopWatch(st);
          st.retryDelay = 0;
          this.backgroundRelist(st);
          return;
        }
      }
      if (meta?.resourceVersion) st.resourceVersion = meta.resourceVersion;
    };

    const openedAt = Date.now();
    const onDone = (err: unknown) => {
      ended = true;
      settle(false);
      if (!current()) return;
      st.live = false;
      st.connecting = undefined;
      st.watch = undefined;
      if (!err && Date.now() - openedAt >= 5_000) {
        // The server's watch timeout: resume from the last resourceVersion at once (no list needed).
        this.resume(st);
        return;
      }
      const status = err ? ((err as { statusCode?: number }).statusCode ?? statusOf(err)) : undefined;
      st.lastWatchError = err ? `${status ?? ""} ${(err as Error).message ?? String(err)}`.trim() : "watch closed early";
      this.log("spc watch ended; answering from fresh lists until it is back", { cluster: st.api.name, status, error: st.lastWatchError });
      if (status === 403 || status === 401) {
        st.forbiddenUntil = Date.now() + (this.opts.forbiddenRetryMs ?? 10 * 60_000);
        return;
      }
      // Anything else (server gone, reset, 410, 5xx): events may have been missed — relist, never resume.
      this.backgroundRelist(st);
    };

    st.api
      .watchSpcs(st.resourceVersion, onEvent, onDone, { timeoutSeconds: this.opts.watchTimeoutSeconds ?? 600 })
      .then((handle) => {
        if (!current()) {
          settle(false);
          handle.abort();
          return;
        }
        st.watch = handle;
        if (ended) return;
        st.live = true;
        st.retryDelay = 0;
        settle(true);
      })
      .catch((e: unknown) => onDone(e));
  }

  /** Re-opens the watch from the index's resourceVersion (after a server-side timeout), unless a relist replaced it. */
  private resume(st: ClusterState): void {
    const gen = st.gen;
    st.timer = setTimeout(() => {
      st.timer = undefined;
      if (gen !== st.gen || this.closed) return;
      this.startWatch(st);
    }, 0);
    st.timer.unref();
  }

  /** Restores warmth in the background after a failed watch (with backoff while the server is unreachable). */
  private backgroundRelist(st: ClusterState): void {
    const gen = st.gen;
    st.retryDelay = st.retryDelay ? Math.min(30_000, st.retryDelay * 2) : (this.opts.retryMs ?? 200);
    st.timer = setTimeout(() => {
      st.timer = undefined;
      if (gen !== st.gen || this.closed) return;
      this.relist(st).catch((e: unknown) => {
        this.log("spc background relist failed; calls list fresh meanwhile", { cluster: st.api.name, error: (e as Error).message });
        if (!this.closed && !st.live && !st.connecting && !st.inflight && !st.timer) this.backgroundRelist(st);
      });
    }, st.retryDelay);
    st.timer.unref();
  }

  private log(msg: string, fields: Record<string, unknown>): void {
    this.opts.log?.(msg, fields);
  }
}
