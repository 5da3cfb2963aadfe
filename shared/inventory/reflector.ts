// One resource of one cluster kept in memory between invocations: a list, then a watch that applies every change in
// order (an informer's reflector). The store holds the model's parsed state, bounded in size.
//
// Correctness: a store answers only while its watch is established and following. Whenever it is not — cold,
// connecting, ended, failed, 410 Gone, forbidden by RBAC, or over its size bound — `warm()` says so and callers read
// fresh from the API server (never stale). Recovery is a fresh list that reseeds the store and restarts the watch from
// that list's resourceVersion; a server-side watch timeout resumes from the last resourceVersion without a list.
// Decisions made from a store are still verified by the writes' resourceVersion preconditions.
import type { Collection, CollectionEvent, Keyed } from "../kube/collections.js";
import type { WatchHandle } from "../kube/cluster-api.js";
import { statusOf } from "../kube/errors.js";

/** Where a reflector keeps its objects (an index over the model's state). */
export interface Store<T> {
  replace(items: Keyed<T>[]): void;
  upsert(key: string, item: T): void;
  remove(key: string): void;
  clear(): void;
  readonly size: number;
}

export type ReflectorLog = (msg: string, fields: Record<string, unknown>) => void;

export interface ReflectorOptions {
  /** Server-side watch timeout (the API server ends the stream; it is resumed from the last resourceVersion). */
  watchTimeoutSeconds?: number;
  /** After a watch is forbidden (RBAC without `watch`) or the store outgrew its bound: fresh reads only, for this long. */
  forbiddenRetryMs?: number;
  /** First delay before re-listing after a failed watch (doubles up to 30 s). */
  retryMs?: number;
  /** Objects kept at most: beyond it the store is dropped and callers read fresh (a cache never grows without bound). */
  maxItems?: number;
  /** Diagnostics (watch failures, fallbacks); no secret data ever reaches it. */
  log?: ReflectorLog;
}

export interface ReflectorStatus {
  live: boolean;
  size: number;
  resourceVersion: string;
  relists: number;
  watchesOpened: number;
  lastWatchError?: string;
}

export const DEFAULT_MAX_ITEMS = 100_000;

export class Reflector<T> {
  private live = false;
  private closed = false;
  private resourceVersion = "";
  /** Bumped on every relist / watch (re)start: callbacks of older watches are ignored. */
  private gen = 0;
  private watch: WatchHandle | undefined;
  private connecting: Promise<boolean> | undefined;
  private inflight: Promise<T[]> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryDelay = 0;
  private pausedUntil = 0;
  private relists = 0;
  private watchesOpened = 0;
  private lastWatchError: string | undefined;

  constructor(
    private readonly source: Collection<T>,
    readonly store: Store<T>,
    private readonly opts: ReflectorOptions = {},
  ) {}

  private get maxItems(): number {
    return this.opts.maxItems ?? DEFAULT_MAX_ITEMS;
  }

  /** Whether the store may answer now, without waiting for a connection in progress. */
  isLive(): boolean {
    return this.live && !this.closed;
  }

  /** True when the store may answer: the watch is live (or becomes live while we wait for its connection). */
  async warm(): Promise<boolean> {
    if (this.closed) return false;
    if (this.live) return true;
    if (this.inflight) await this.inflight.catch(() => undefined);
    if (this.connecting) return (await this.connecting) && this.live;
    return false;
  }

  /** Starts seeding in the background when nothing is under way (callers read fresh meanwhile). */
  start(): void {
    if (this.closed || this.live || this.inflight || this.connecting || this.timer || Date.now() < this.pausedUntil) return;
    this.relist().catch((e: unknown) => this.listFailed(e, "initial list failed; reading fresh meanwhile"));
  }

  /** Waits up to `ms` for the store to be live, starting it if needed. */
  async ready(ms: number): Promise<boolean> {
    this.start();
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) {
      if (await this.warm()) return true;
      if (Date.now() >= this.pausedUntil && !this.inflight && !this.connecting && !this.timer) this.start();
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.live;
  }

  /** A fresh list: reseeds the store and restarts the watch from its resourceVersion. Shared by concurrent callers. */
  relist(): Promise<T[]> {
    this.inflight ??= (async () => {
      try {
        const { items, resourceVersion } = await this.source.list();
        this.relists++;
        if (this.closed) return items.map((i) => i.item);
        this.stopWatch();
        if (items.length > this.maxItems) this.overflow(items.length);
        else {
          this.store.replace(items);
          this.resourceVersion = resourceVersion;
          if (resourceVersion && Date.now() >= this.pausedUntil) this.startWatch();
        }
        return items.map((i) => i.item);
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  status(): ReflectorStatus {
    return {
      live: this.live,
      size: this.store.size,
      resourceVersion: this.resourceVersion,
      relists: this.relists,
      watchesOpened: this.watchesOpened,
      ...(this.lastWatchError ? { lastWatchError: this.lastWatchError } : {}),
    };
  }

  /** Stops the watch and any timer, and drops the store. */
  close(): void {
    this.closed = true;
    this.stopWatch();
    this.store.clear();
  }

  private overflow(n: number): void {
    this.stopWatch();
    this.store.clear();
    this.pausedUntil = Date.now() + (this.opts.forbiddenRetryMs ?? 10 * 60_000);
    this.lastWatchError = `over the size bound (${n} > ${this.maxItems} objects)`;
    this.log("cache over its size bound, reading fresh instead", { objects: n, maxItems: this.maxItems });
  }

  private stopWatch(): void {
    this.gen++;
    this.live = false;
    this.connecting = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watch?.abort();
    this.watch = undefined;
  }

  private apply(e: CollectionEvent<T>): boolean {
    switch (e.type) {
      case "ADDED":
      case "MODIFIED":
        this.store.upsert(e.key, e.item!);
        if (this.store.size > this.maxItems) {
          this.overflow(this.store.size);
          return false;
        }
        break;
      case "DELETED":
        this.store.remove(e.key);
        break;
      case "BOOKMARK":
        break;
      case "ERROR": {
        // A Status: 410 Gone (resourceVersion compacted) or another server-side failure: relist.
        this.lastWatchError = `watch ERROR event${e.code ? ` ${e.code}` : ""}`;
        this.log("watch error event, re-listing", { code: e.code });
        this.stopWatch();
        this.retryDelay = 0;
        this.scheduleRelist();
        return false;
      }
    }
    if (e.resourceVersion) this.resourceVersion = e.resourceVersion;
    return true;
  }

  private startWatch(): void {
    const gen = ++this.gen;
    this.live = false;
    this.watchesOpened++;
    let ended = false;
    let settle: (ok: boolean) => void = () => {};
    this.connecting = new Promise<boolean>((r) => (settle = r));
    const current = () => gen === this.gen && !this.closed;

    const onEvent = (e: CollectionEvent<T>) => {
      if (current() && !this.apply(e)) settle(false);
    };
    const openedAt = Date.now();
    const onDone = (err: unknown) => {
      ended = true;
      settle(false);
      if (!current()) return;
      this.live = false;
      this.connecting = undefined;
      this.watch = undefined;
      if (!err && Date.now() - openedAt >= 5_000) {
        // The server's watch timeout: resume from the last resourceVersion at once (no list needed).
        this.resume();
        return;
      }
      const status = err ? ((err as { statusCode?: number }).statusCode ?? statusOf(err)) : undefined;
      this.lastWatchError = err ? `${status ?? ""} ${(err as Error).message ?? String(err)}`.trim() : "watch closed early";
      this.log("watch ended; answering from fresh reads until it is back", { status, error: this.lastWatchError });
      if (status === 403 || status === 401) {
        this.pausedUntil = Date.now() + (this.opts.forbiddenRetryMs ?? 10 * 60_000);
        return;
      }
      // Anything else (server gone, reset, 410, 5xx): events may have been missed — relist, never resume.
      this.scheduleRelist();
    };

    this.source
      .watch(this.resourceVersion, onEvent, onDone, { timeoutSeconds: this.opts.watchTimeoutSeconds ?? 600 })
      .then((handle) => {
        if (!current()) {
          settle(false);
          handle.abort();
          return;
        }
        this.watch = handle;
        if (ended) return;
        this.live = true;
        this.retryDelay = 0;
        settle(true);
      })
      .catch((e: unknown) => onDone(e));
  }

  /** Re-opens the watch from the store's resourceVersion (after a server-side timeout), unless a relist replaced it. */
  private resume(): void {
    const gen = this.gen;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (gen !== this.gen || this.closed) return;
      this.startWatch();
    }, 0);
    this.timer.unref();
  }

  /** Restores warmth in the background after a failed watch (with backoff while the server is unreachable). */
  private scheduleRelist(): void {
    const gen = this.gen;
    this.retryDelay = this.retryDelay ? Math.min(30_000, this.retryDelay * 2) : (this.opts.retryMs ?? 200);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (gen !== this.gen || this.closed) return;
      this.relist().catch((e: unknown) => this.listFailed(e, "background relist failed; reading fresh meanwhile"));
    }, this.retryDelay);
    this.timer.unref();
  }

  /**
   * A failed background list: retried with backoff — every 30 s when forbidden (RBAC without a cluster-wide list, or
   * an API server whose authorizer is still starting: it answers 403 for a moment after a restart).
   */
  private listFailed(e: unknown, msg: string): void {
    const status = statusOf(e);
    this.log(msg, { status, error: (e as Error).message });
    if (status === 403 || status === 401) {
      this.lastWatchError = `${status} list forbidden`;
      this.retryDelay = 30_000;
    }
    if (!this.closed && !this.live && !this.connecting && !this.inflight && !this.timer) this.scheduleRelist();
  }

  private log(msg: string, fields: Record<string, unknown>): void {
    this.opts.log?.(`${this.source.resource}: ${msg}`, fields);
  }
}
