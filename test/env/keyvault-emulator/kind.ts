/**
 * One object kind of the Key Vault data plane (secrets, keys, certificates) as a table entry: how its bundles look and
 * what is special about it. The CRUD every kind shares — get (latest or a version), update, list, list versions,
 * soft delete, get/list deleted, purge, recover — and its routes are generated from that entry here, once.
 */
import {
  deletedInfo,
  deletedNotFound,
  findVersion,
  latest,
  lc,
  bodyObj,
  newDeleted,
  notFound,
  ok,
  page,
  sortedItems,
  sortedVersions,
  capitalized,
  type Ctx,
  type Kind,
  type Label,
  type Result,
} from "./common.js";
import { KvError, type Attributes, type Deleted, type Item, type Json, type VaultData } from "./model.js";

export interface Route {
  operation: string;
  kind?: Kind;
  /** The object name in the path, when there is one. */
  name?: string;
  /** Whether a successful run may change the store (for persistence). */
  mutates: boolean;
  /** Whether a 200 answer of this route is a "read" of an object bundle (stats.reads). */
  read?: boolean;
  run(ctx: Ctx): Result;
}

export type Params = Record<string, string>;

/** A route template: path segments (`:param` binds, `**` matches the rest), `*` for any method. */
export interface RouteDef {
  method: string;
  path: string[];
  operation: string | ((method: string, p: Params) => string);
  mutates: boolean;
  read?: boolean;
  run(ctx: Ctx, p: Params): Result;
}

export interface Version {
  version: string;
  attributes: Attributes;
}

export interface ObjectKind<V extends Version> {
  kind: Kind;
  label: Label;
  items(vault: VaultData): Map<string, Item<V>>;
  deleted(vault: VaultData): Map<string, Deleted<V>>;
  /** The answer to a GET (or Key Vault's refusal, e.g. a disabled secret). */
  get(ctx: Ctx, item: Item<V>, v: V): Json;
  /** Applies a PATCH body's kind-specific fields (attributes included) and answers. */
  update(ctx: Ctx, item: Item<V>, v: V, body: Json): Json;
  /** An entry of a list / list-versions answer. */
  listItem(ctx: Ctx, item: Item<V>, v: V, withVersion: boolean): Json;
  /** Takes the object (and what belongs to it) out of the store for soft delete, or refuses. */
  remove(ctx: Ctx, item: Item<V>): Deleted<V>;
  /** The answer to DELETE and to GET of the deleted object. */
  deletedOut(ctx: Ctx, d: Deleted<V>): Json;
  /** Puts back what `remove` took (the item itself is restored by the caller) and answers. */
  recover(ctx: Ctx, d: Deleted<V>): Json;
  /** Routes of this kind only (creation, policies, …), matched before the shared ones. */
  routes: RouteDef[];
}

/** Soft delete of an object a certificate does not manage (a certificate's secret and key go with the certificate). */
export function removeUnmanaged<V extends Version & { managed?: boolean }>(k: ObjectKind<V>, ctx: Ctx, item: Item<V>): Deleted<V> {
  if (item.versions.some((v) => v.managed)) {
    throw new KvError(403, "Forbidden", `Operation delete is not allowed on a managed ${k.label}; delete the certificate.`);
  }
  k.items(ctx.vault).delete(lc(item.name));
  return newDeleted(item);
}

function mustItem<V extends Version>(k: ObjectKind<V>, ctx: Ctx, name: string): Item<V> {
  const item = k.items(ctx.vault).get(lc(name));
  if (!item) throw notFound(k.label, name);
  return item;
}

function versionOf<V extends Version>(k: ObjectKind<V>, item: Item<V>, name: string, version: string | undefined): V {
  return findVersion(item, version, () => notFound(k.label, `${name}/${version ?? ""}`));
}

/** The routes every kind has, generated from its table entry. */
export function sharedRoutes<V extends Version>(k: ObjectKind<V>): RouteDef[] {
  const K = capitalized(k.label);
  const coll = k.kind;
  const del = `deleted${k.kind}`;
  const get = (ctx: Ctx, p: Params): Result => {
    const item = mustItem(k, ctx, p.name!);
    return ok(k.get(ctx, item, versionOf(k, item, p.name!, p.version)));
  };
  const update = (ctx: Ctx, p: Params): Result => {
    const body = bodyObj(ctx);
    const item = mustItem(k, ctx, p.name!);
    return ok(k.update(ctx, item, versionOf(k, item, p.name!, p.version), body));
  };
  const mustDeleted = (ctx: Ctx, name: string): Deleted<V> => {
    const d = k.deleted(ctx.vault).get(lc(name));
    if (!d) throw deletedNotFound(k.label, name);
    return d;
  };
  return [
    { method: "GET", path: [coll], operation: `list${K}s`, mutates: false, run: (ctx) => page(ctx, listLatest(k, ctx), `/${coll}`) },
    { method: "*", path: [coll, "restore"], operation: `restore${K}`, mutates: false, run: notImplemented(`restore${K}`) },
    { method: "GET", path: [coll, ":name"], operation: `get${K}`, mutates: false, read: true, run: get },
    { method: "PATCH", path: [coll, ":name"], operation: `update${K}`, mutates: true, run: update },
    {
      method: "DELETE",
      path: [coll, ":name"],
      operation: `delete${K}`,
      mutates: true,
      run: (ctx, p) => {
        const d = k.remove(ctx, mustItem(k, ctx, p.name!));
        k.deleted(ctx.vault).set(lc(p.name!), d);
        return ok(k.deletedOut(ctx, d));
      },
    },
    {
      method: "GET",
      path: [coll, ":name", "versions"],
      operation: `list${K}Versions`,
      mutates: false,
      run: (ctx, p) => {
        const item = k.items(ctx.vault).get(lc(p.name!));
        // The service answers an empty list (not 404) for an unknown name.
        const all = item ? sortedVersions(item).map((v) => k.listItem(ctx, item, v, true)) : [];
        return page(ctx, all, `/${coll}/${p.name}/versions`);
      },
    },
    { method: "*", path: [coll, ":name", "backup"], operation: `backup${K}`, mutates: false, run: notImplemented(`backup${K}`) },
    { method: "GET", path: [coll, ":name", ":version"], operation: `get${K}`, mutates: false, read: true, run: get },
    { method: "PATCH", path: [coll, ":name", ":version"], operation: `update${K}`, mutates: true, run: update },
    {
      method: "GET",
      path: [del],
      operation: `listDeleted${K}s`,
      mutates: false,
      run: (ctx) => {
        const all = [...k.deleted(ctx.vault).entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([, d]) => ({ ...deletedInfo(ctx, del, d.item.name, d), ...k.listItem(ctx, d.item, latest(d.item), false) }));
        return page(ctx, all, `/${del}`);
      },
    },
    {
      method: "GET",
      path: [del, ":name"],
      operation: `getDeleted${K}`,
      mutates: false,
      run: (ctx, p) => ok(k.deletedOut(ctx, mustDeleted(ctx, p.name!))),
    },
    {
      method: "DELETE",
      path: [del, ":name"],
      operation: `purgeDeleted${K}`,
      mutates: true,
      run: (ctx, p) => {
        if (!k.deleted(ctx.vault).delete(lc(p.name!))) throw deletedNotFound(k.label, p.name!);
        return { status: 204 };
      },
    },
    {
      method: "POST",
      path: [del, ":name", "recover"],
      operation: `recoverDeleted${K}`,
      mutates: true,
      run: (ctx, p) => {
        const d = mustDeleted(ctx, p.name!);
        k.deleted(ctx.vault).delete(lc(p.name!));
        k.items(ctx.vault).set(lc(p.name!), d.item);
        return ok(k.recover(ctx, d));
      },
    },
  ];
}

function listLatest<V extends Version>(k: ObjectKind<V>, ctx: Ctx): Json[] {
  return sortedItems(k.items(ctx.vault)).map((item) => k.listItem(ctx, item, latest(item), false));
}

export function notImplemented(operation: string): (ctx: Ctx, p: Params) => Result {
  return () => {
    throw new KvError(501, "NotImplemented", `The Key Vault emulator does not implement ${operation}.`);
  };
}
