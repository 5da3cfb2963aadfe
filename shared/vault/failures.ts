// Every way a Key Vault read can fail, classified by HTTP status, Key Vault's error `code` and `innererror.code`
// (never by message text). Pure: the facts come from shared/vault/sdk-error.ts. The same table is documented, row by
// row, in docs/keyvault-failures.md (a unit test keeps the two in step).
//
// Outcomes are answers, not failures: the object's newest version is disabled, or the object is gone. Failures have a
// kind the entry points map to their own way of failing:
//   transient → Event Grid redelivers / HTTP 503 + Retry-After / CLI exit 1
//   access    → Key Vault refuses until its configuration changes (network rules, permissions, request settings):
//               the invocation fails (Event Grid retries, then dead-letters) / HTTP 502 with the reason / CLI exit 1
//   identity  → Key Vault does not accept the function app's token: same handling as access

export type FailureKind = "transient" | "access" | "identity";
export type ReadOutcome = "disabled" | "gone";

/** What is known about one failed request, as Key Vault and the SDK reported it. */
export interface FailureFacts {
  /** HTTP status of the final answer; absent when no answer arrived (network error, read deadline). */
  status?: number;
  /** Key Vault's `error.code` (e.g. Forbidden, SecretNotFound, Throttled). */
  code?: string;
  /** Key Vault's `error.innererror.code` (e.g. ForbiddenByFirewall, SecretDisabled). */
  innerCode?: string;
  /** Node/undici error code when no answer arrived (ECONNRESET, ENOTFOUND, …). */
  networkCode?: string;
  /** The read was abandoned at its deadline (SDK retries included). */
  deadline?: boolean;
}

export type Verdict =
  { rule: string; outcome: ReadOutcome; cause: string } | { rule: string; kind: FailureKind; cause: string; fix: string };

interface Match {
  /** A status, a class ("4xx", "5xx"), or "none" for no HTTP answer at all. */
  status: number | "4xx" | "5xx" | "none";
  /** Matches `innererror.code` or, when Key Vault puts it there, `error.code`. */
  code?: string;
}

export interface FailureRule {
  /** Stable identifier, used in docs/keyvault-failures.md. */
  rule: string;
  match: Match;
  verdict: { outcome: ReadOutcome; cause: string } | { kind: FailureKind; cause: string; fix: string };
}

const RBAC_FIX =
  "grant the function app's identity read access on the vault: with Azure RBAC, 'Key Vault Secrets User' (secrets and certificate private keys) and 'Key Vault Certificate User' (certificates and keys) at vault or object scope (infra/main.tf assigns both); with access policies, get (and list, for version history) on secrets, keys and certificates. Role assignments can take minutes to apply";

const NETWORK_FIX =
  "let the function app reach the vault: give the app VNet integration and the vault a private endpoint in that VNet (with the privatelink.vaultcore.azure.net DNS zone linked), or allow the app's outbound addresses / integration subnet in the vault's firewall (Networking → Firewalls and virtual networks)";

/**
 * The classification table, first match wins. Sources: Key Vault REST error codes and common error codes
 * (learn.microsoft.com/azure/key-vault/general/rest-error-codes, …/common-error-codes); inner codes as Key Vault
 * returns them (see docs/keyvault-failures.md for the citation of each).
 */
export const KEY_VAULT_FAILURES: readonly FailureRule[] = [
  {
    rule: "secret-disabled",
    match: { status: 403, code: "SecretDisabled" },
    verdict: {
      outcome: "disabled",
      cause: "the newest version is disabled: Key Vault refuses to serve it, so the driver cannot mount it either",
    },
  },
  {
    rule: "key-disabled",
    match: { status: 403, code: "KeyDisabled" },
    verdict: { outcome: "disabled", cause: "the key version is disabled: Key Vault refuses to use it" },
  },
  {
    rule: "forbidden-by-connection",
    match: { status: 403, code: "ForbiddenByConnection" },
    verdict: {
      kind: "access",
      cause:
        "the vault's public network access is disabled and the request came neither through an approved private endpoint nor from a trusted service",
      fix: NETWORK_FIX,
    },
  },
  {
    rule: "forbidden-by-firewall",
    match: { status: 403, code: "ForbiddenByFirewall" },
    verdict: {
      kind: "access",
      cause: "the vault's firewall does not allow the function app's address",
      fix: NETWORK_FIX,
    },
  },
  {
    rule: "forbidden-by-policy",
    match: { status: 403, code: "ForbiddenByPolicy" },
    verdict: {
      kind: "access",
      cause: "the vault's access policies give the function app's identity no permission for this operation",
      fix: RBAC_FIX,
    },
  },
  {
    rule: "forbidden-by-rbac",
    match: { status: 403, code: "ForbiddenByRbac" },
    verdict: { kind: "access", cause: "no Azure RBAC role assignment lets the function app's identity read this object", fix: RBAC_FIX },
  },
  {
    rule: "access-denied",
    match: { status: 403, code: "AccessDenied" },
    verdict: { kind: "access", cause: "Key Vault denied the function app's identity access", fix: RBAC_FIX },
  },
  {
    rule: "forbidden",
    match: { status: 403 },
    verdict: {
      kind: "access",
      cause: "Key Vault refused the request (403) without saying whether the network rules or the permissions stopped it",
      fix: `check both: ${NETWORK_FIX}; and ${RBAC_FIX}`,
    },
  },
  {
    rule: "unauthenticated",
    match: { status: 401 },
    verdict: {
      kind: "identity",
      cause: "Key Vault did not accept the function app's token",
      fix: "check that the function app's managed identity is enabled (for a user-assigned identity, that AZURE_CLIENT_ID names it), that it belongs to the vault's tenant, and that tokens are requested for https://vault.azure.net (AKV10022 means a wrong audience)",
    },
  },
  {
    rule: "not-found",
    match: { status: 404 },
    verdict: { outcome: "gone", cause: "not found: deleted, or never created" },
  },
  {
    rule: "throttled",
    match: { status: 429 },
    verdict: {
      kind: "transient",
      cause: "Key Vault throttled the request",
      fix: "nothing to change: the read is retried after the time Key Vault asks for; if it persists, lower KVRP_CONCURRENCY or spread the vault's load",
    },
  },
  {
    rule: "request-timeout",
    match: { status: 408 },
    verdict: { kind: "transient", cause: "Key Vault timed out the request", fix: "nothing to change: retried" },
  },
  {
    rule: "conflict",
    match: { status: 409 },
    verdict: { kind: "transient", cause: "Key Vault reported a conflicting operation", fix: "nothing to change: retried" },
  },
  {
    rule: "server-error",
    match: { status: "5xx" },
    verdict: { kind: "transient", cause: "Key Vault failed or was unavailable", fix: "nothing to change: retried" },
  },
  {
    rule: "bad-request",
    match: { status: "4xx" },
    verdict: {
      kind: "access",
      cause: "Key Vault rejected the request itself",
      fix: "check KVRP_KEYVAULT_API_VERSION (leave it empty for the SDK's default) and the vault URL in KVRP_VAULTS",
    },
  },
  {
    rule: "no-answer",
    match: { status: "none" },
    verdict: {
      kind: "transient",
      cause: "no answer from Key Vault (connection failed, reset or timed out)",
      fix: "retried; if it persists, check DNS and routing from the function app to the vault (private endpoint DNS zone, VNet integration)",
    },
  },
];

function statusMatches(m: Match["status"], status: number | undefined): boolean {
  if (m === "none") return status === undefined;
  if (status === undefined) return false;
  if (m === "4xx") return status >= 400 && status < 500;
  if (m === "5xx") return status >= 500 && status < 600;
  return m === status;
}

/** The verdict for one failed request: the first rule of KEY_VAULT_FAILURES that matches. */
export function classifyKeyVaultFailure(f: FailureFacts): Verdict {
  for (const r of KEY_VAULT_FAILURES) {
    if (!statusMatches(r.match.status, f.status)) continue;
    if (r.match.code !== undefined && r.match.code !== f.innerCode && r.match.code !== f.code) continue;
    return { rule: r.rule, ...r.verdict };
  }
  // Statuses outside 4xx/5xx with a body (a proxy's 3xx, say): Key Vault did not serve the read.
  return {
    rule: "unexpected-status",
    kind: "transient",
    cause: `unexpected HTTP ${f.status} from Key Vault`,
    fix: "retried; if it persists, check for a proxy between the function app and the vault",
  };
}

/**
 * Seconds the service asked to wait, from the headers Azure services send (the same ones the SDK's retry policy
 * honours): `retry-after-ms`, `x-ms-retry-after-ms`, then `Retry-After` as seconds or an HTTP date.
 */
export function retryAfterSeconds(get: (name: string) => string | null | undefined, nowMs: number): number | undefined {
  for (const h of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const v = get(h);
    if (v != null && v.trim() !== "" && Number.isFinite(Number(v)) && Number(v) >= 0) return Number(v) / 1000;
  }
  const v = get("retry-after");
  if (v == null || v.trim() === "") return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return n >= 0 ? n : undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - nowMs) / 1000);
}
