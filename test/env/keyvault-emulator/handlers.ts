/**
 * Key Vault data-plane routing: one route table built from the object kinds (secrets.ts, keys.ts, certificates.ts —
 * each a table entry whose shared CRUD comes from kind.ts) plus the operations the emulator does not implement.
 *
 * Shapes follow the REST API (SecretBundle, KeyBundle, CertificateBundle, CertificateOperation, list results with
 * `nextLink`, DeletedXxxBundle). Routing is resolved before the body is read, so that the server can count and
 * fault-inject by operation name.
 */
import { certificates } from "./certificates.js";
import type { Kind } from "./common.js";
import { keys } from "./keys.js";
import { notImplemented, sharedRoutes, type ObjectKind, type Params, type Route, type RouteDef, type Version } from "./kind.js";
import { secrets } from "./secrets.js";

export type { Kind } from "./common.js";
export type { Route } from "./kind.js";
export { putSecret } from "./secrets.js";

interface TableRow extends RouteDef {
  kind?: Kind;
}

function rowsOf<V extends Version>(k: ObjectKind<V>): TableRow[] {
  const shared = sharedRoutes(k);
  // `<coll>/restore` is a literal that the kind's `<coll>/:name` routes would otherwise take.
  const literalFirst = shared.filter((r) => r.path[1] === "restore");
  return [...literalFirst, ...k.routes, ...shared].map((r) => ({ ...r, kind: k.kind }));
}

const TABLE: TableRow[] = [
  ...rowsOf(secrets),
  ...rowsOf(keys),
  ...rowsOf(certificates),
  { method: "*", path: ["rng"], operation: "getRandomBytes", mutates: false, run: notImplemented("getRandomBytes") },
];

function match(path: string[], segs: string[]): Params | undefined {
  const p: Params = {};
  for (let i = 0; i < path.length; i++) {
    const want = path[i]!;
    if (want === "**") return p;
    const got = segs[i];
    if (got === undefined) return undefined;
    if (want.startsWith(":")) p[want.slice(1)] = got;
    else if (want !== got) return undefined;
  }
  return segs.length === path.length ? p : undefined;
}

/**
 * Resolves a request to a route. `segs` are the decoded path segments without the empty leading one and
 * without a trailing empty one (so `/secrets/a/` and `/secrets/a` both give ["secrets", "a"]).
 */
export function resolveRoute(method: string, segs: string[]): Route | undefined {
  for (const row of TABLE) {
    if (row.method !== "*" && row.method !== method) continue;
    const p = match(row.path, segs);
    if (!p) continue;
    return {
      operation: typeof row.operation === "string" ? row.operation : row.operation(method, p),
      ...(row.kind ? { kind: row.kind } : {}),
      ...(p.name !== undefined ? { name: p.name } : {}),
      mutates: row.mutates,
      read: row.read ?? false,
      run: (ctx) => row.run(ctx, p),
    };
  }
  return undefined;
}
