// Kubernetes names (k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label ≤ 63, IsDNS1123Subdomain ≤ 253) and the
// namespace globs of a vault's `namespaces` binding: the one place for these rules.

export const DNS1123_LABEL_RULE = "a DNS-1123 label: 1-63 characters of [a-z0-9-], starting and ending with a letter or digit";
export const DNS1123_SUBDOMAIN_RULE = "a DNS-1123 subdomain: 1-253 characters, dot-separated DNS-1123 labels of [a-z0-9-]";
export const NAMESPACE_GLOB_RULE =
  "a namespace name or glob: 1-63 characters of [a-z0-9-*], starting and ending with a letter, digit or '*' ('*' matches any run of characters)";

const DNS1123_LABEL_RE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
/** A DNS-1123 label with `*` allowed anywhere: every glob of this form can match some namespace. */
const NAMESPACE_GLOB_RE = /^[a-z0-9*](?:[-a-z0-9*]{0,61}[a-z0-9*])?$/;

/** Kubernetes DNS-1123 label (namespace names, most object names). */
export function isDns1123Label(s: unknown): s is string {
  return typeof s === "string" && s.length <= 63 && DNS1123_LABEL_RE.test(s);
}

/** Kubernetes DNS-1123 subdomain (Secret names, SPC names, …). */
export function isDns1123Subdomain(s: unknown): s is string {
  return (
    typeof s === "string" && s.length >= 1 && s.length <= 253 && DNS1123_SUBDOMAIN_RE.test(s) && s.split(".").every((l) => l.length <= 63)
  );
}

/** A namespace name (`team-a`) or glob (`team-a-*`, `*-prod`, `*`). */
export function isNamespaceGlob(s: unknown): s is string {
  return typeof s === "string" && NAMESPACE_GLOB_RE.test(s);
}
