// The reflector's state machine against a fake collection (the API server's list and watch as a boundary): it answers
// only while its watch is live, re-lists after an ERROR event (410 Gone), a failed or early-closed stream or list,
// resumes after a server timeout without a list, pauses when forbidden, and drops a store that outgrew its bound.
import { describe, expect, it } from "vitest";
import type { Collection, CollectionEvent, Keyed } from "../../../shared/kube/collections.js";
import { GroupedStore } from "../../../shared/inventory/grouped-store.js";
import { Reflector } from "../../../shared/inventory/reflector.js";

interface Item {
  ns: string;
  name: string;
  v: number;
}

class FakeCollection implements Collection<Item> {
  readonly resource = "things";
  items = new Map<string, Item>();
  rv = 1;
  lists = 0;
  watches: { from: string; emit: (e: CollectionEvent<Item>) => void; done: (err: unknown) => void; aborted: boolean }[] = [];
  watchError: (Error & { statusCode?: number }) | undefined;
  listError: (Error & { statusCode?: number }) | undefined;

  put(i: Item): void {
    this.items.set(`${i.ns}/${i.name}`, i);
    this.rv++;
    for (const w of this.watches.filter((x) => !x.aborted))
      w.emit({ type: "MODIFIED", key: `${i.ns}/${i.name}`, item: i, resourceVersion: String(this.rv) });
  }

  async list(): Promise<{ items: Keyed<Item>[]; resourceVersion: string }> {
    this.lists++;
    if (this.listError) throw this.listError;
    return { items: [...this.items].map(([key, item]) => ({ key, item })), resourceVersion: String(this.rv) };
  }

  async watch(from: string, emit: (e: CollectionEvent<Item>) => void, done: (err: unknown) => void) {
    if (this.watchError) {
      const e = this.watchError;
      queueMicrotask(() => done(e));
      return { abort: () => {} };
    }
    const w = { from, emit, done, aborted: false };
    this.watches.push(w);
    return { abort: () => (w.aborted = true) };
  }

  get live() {
    return this.watches.filter((w) => !w.aborted);
  }
}

const until = async (cond: () => boolean, ms = 2_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 2));
  }
};

function make(opts: { maxItems?: number } = {}) {
  const src = new FakeCollection();
  const store = new GroupedStore<Item>((i) => i.ns);
  const r = new Reflector(src, store, { retryMs: 5, forbiddenRetryMs: 60_000, ...opts });
  return { src, store, r };
}

describe("Reflector", () => {
  it("is not warm before its first list, then follows the watch", async () => {
    const { src, store, r } = make();
    src.put({ ns: "a", name: "x", v: 1 });
    expect(r.isLive()).toBe(false);
    expect(await r.warm()).toBe(false);
    r.start();
    expect(await r.warm()).toBe(true);
    expect(src.lists).toBe(1);
    expect(src.live[0]!.from).toBe(String(src.rv));
    src.put({ ns: "a", name: "y", v: 1 });
    src.put({ ns: "b", name: "z", v: 1 });
    expect(
      store
        .group("a")
        .map((i) => i.name)
        .sort(),
    ).toEqual(["x", "y"]);
    src.live[0]!.emit({ type: "DELETED", key: "a/x" });
    expect(store.group("a").map((i) => i.name)).toEqual(["y"]);
    expect(r.status()).toMatchObject({ live: true, size: 2, relists: 1, watchesOpened: 1 });
    r.close();
  });

  it("re-lists after a 410 Gone ERROR event and is not warm meanwhile", async () => {
    const { src, r } = make();
    await r.ready(1_000);
    const first = src.live[0]!;
    first.emit({ type: "ERROR", key: "", code: 410 });
    expect(r.isLive()).toBe(false);
    expect(first.aborted).toBe(true);
    await until(() => src.lists === 2 && r.isLive());
    expect(r.status().lastWatchError).toContain("410");
    r.close();
  });

  it("re-lists after the stream fails, resumes without a list after a server-side timeout", async () => {
    const { src, r } = make();
    await r.ready(1_000);
    src.live[0]!.done(Object.assign(new Error("socket hang up"), {}));
    expect(r.isLive()).toBe(false);
    await until(() => src.lists === 2 && r.isLive());
    // A clean end after a while is the server's timeout: resume from the last resourceVersion, no list.
    const w = src.live[src.live.length - 1]!;
    const realNow = Date.now;
    Date.now = () => realNow() + 10_000;
    try {
      w.done(null);
    } finally {
      Date.now = realNow;
    }
    await until(() => src.live.length >= 1 && src.watches.length === 3);
    expect(src.lists).toBe(2);
    expect(src.watches[2]!.from).toBe(String(src.rv));
    r.close();
  });

  it("stops watching when forbidden (fresh reads only until the retry time)", async () => {
    const { src, r } = make();
    src.watchError = Object.assign(new Error("Forbidden"), { statusCode: 403 });
    r.start();
    await until(() => (r.status().lastWatchError ?? "").startsWith("403"));
    expect(await r.warm()).toBe(false);
    r.start();
    await new Promise((res) => setTimeout(res, 30));
    expect(src.lists).toBe(1);
    r.close();
  });

  it("retries a failed background list with backoff, a forbidden one only every 30 s", async () => {
    const { src, r } = make();
    src.listError = Object.assign(new Error("connection refused"), {});
    r.start();
    await until(() => src.lists >= 3);
    src.listError = undefined;
    await until(() => r.isLive());
    r.close();
    const f = make();
    f.src.listError = Object.assign(new Error("Forbidden"), { statusCode: 403 });
    f.r.start();
    await new Promise((res) => setTimeout(res, 60));
    expect(f.src.lists).toBe(1);
    expect(f.r.status().lastWatchError).toBe("403 list forbidden");
    // A list the caller makes itself (the SPC cache when cold) and that succeeds starts the watch at once.
    f.src.listError = undefined;
    await f.r.relist();
    expect(await f.r.warm()).toBe(true);
    f.r.close();
  });

  it("drops a store that outgrows its bound and stops watching", async () => {
    const { src, store, r } = make({ maxItems: 3 });
    for (let i = 0; i < 3; i++) src.put({ ns: "a", name: `n${i}`, v: 1 });
    await r.ready(1_000);
    expect(store.size).toBe(3);
    src.put({ ns: "a", name: "n3", v: 1 });
    expect(r.isLive()).toBe(false);
    expect(store.size).toBe(0);
    expect(r.status().lastWatchError).toContain("size bound");
    expect(await r.warm()).toBe(false);
    r.close();
  });

  it("shares one list among concurrent relists and ignores events of replaced watches", async () => {
    const { src, store, r } = make();
    await Promise.all([r.relist(), r.relist(), r.relist()]);
    expect(src.lists).toBe(1);
    await r.warm();
    const old = src.live[0]!;
    await r.relist();
    old.emit({ type: "ADDED", key: "a/ghost", item: { ns: "a", name: "ghost", v: 1 } });
    expect(store.group("a")).toEqual([]);
    r.close();
  });
});
