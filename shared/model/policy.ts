// What the operator decided (settings), as the stages read it.

export type RestartPolicy = "env" | "annotated" | "off";
export type MountRefresh = "nudge" | "restart" | "off";

export interface Policy {
  restart: RestartPolicy;
  mountRefresh: MountRefresh;
  namespacesInclude: string[];
  namespacesExclude: string[];
}

export function namespaceInScope(ns: string, policy: Policy): boolean {
  if (policy.namespacesExclude.includes(ns)) return false;
  return policy.namespacesInclude.length === 0 || policy.namespacesInclude.includes(ns);
}

/** Kubernetes-style glob: `*` matches any run of characters; everything else is literal. */
export function globMatch(pattern: string, s: string): boolean {
  if (!pattern.includes("*")) return pattern === s;
  const parts = pattern.split("*");
  if (!s.startsWith(parts[0]!) || !s.endsWith(parts[parts.length - 1]!)) return false;
  let at = parts[0]!.length;
  const end = s.length - parts[parts.length - 1]!.length;
  for (const p of parts.slice(1, -1)) {
    const i = s.indexOf(p, at);
    if (i < 0 || i + p.length > end) return false;
    at = i + p.length;
  }
  return at <= end;
}

/** Vault → namespace binding: absent means every namespace may use the vault. */
export function vaultBoundTo(namespaces: readonly string[] | undefined, ns: string): boolean {
  return !namespaces || namespaces.some((p) => globMatch(p, ns));
}
