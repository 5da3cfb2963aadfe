// Shared helpers for the infra tests (Terraform under infra/, Kubernetes RBAC under infra/k8s/).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest ancestor with package.json (works from test/ and from a compiled dist/test/). */
function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
export const INFRA_DIR = join(REPO_ROOT, "infra");
export const K8S_DIR = join(INFRA_DIR, "k8s");
export const REQUIRED_PERMISSIONS_FILE = join(K8S_DIR, "required-permissions.json");
export const EVENT_FUNCTION_FILE = join(REPO_ROOT, "functions", "onKeyVaultEvent.ts");
export const LOCAL_SETTINGS_SAMPLE_FILE = join(REPO_ROOT, "local.settings.sample.json");

/** Name of the Event Grid-triggered function; Terraform points every subscription at it. */
export const EVENT_FUNCTION_NAME = "onKeyVaultEvent";

/**
 * Every KVRP_* app setting the function reads. Terraform (infra/main.tf, local.kvrp_app_settings_all) must write
 * exactly these, and local.settings.sample.json must list exactly these under Values.
 */
export const KVRP_APP_SETTING_NAMES = [
  "KVRP_CLUSTERS",
  "KVRP_VAULTS",
  "KVRP_RESTART_POLICY",
  "KVRP_MOUNT_REFRESH",
  "KVRP_NAMESPACES_INCLUDE",
  "KVRP_NAMESPACES_EXCLUDE",
  "KVRP_DRY_RUN",
  "KVRP_RECONCILE_SCHEDULE",
  "KVRP_CONCURRENCY",
  "KVRP_DRIFT_GRACE_SECONDS",
  "KVRP_NAMESPACE_READ_BUDGET",
  "KVRP_PROOF_VERSIONS",
  "KVRP_DIGEST_KEY",
  "KVRP_REPORT_TOPIC_ENDPOINT",
] as const;

/** Non-KVRP settings the function app needs besides the host's own (identity-based storage, telemetry). */
export const HOST_APP_SETTING_NAMES = ["AzureWebJobsStorage__accountName", "APPLICATIONINSIGHTS_CONNECTION_STRING"] as const;

/** Event types the subscriptions deliver, exactly. */
export const KEY_VAULT_EVENT_TYPES = [
  "Microsoft.KeyVault.SecretNewVersionCreated",
  "Microsoft.KeyVault.CertificateNewVersionCreated",
  "Microsoft.KeyVault.KeyNewVersionCreated",
  "Microsoft.KeyVault.SecretNearExpiry",
  "Microsoft.KeyVault.SecretExpired",
  "Microsoft.KeyVault.CertificateNearExpiry",
  "Microsoft.KeyVault.CertificateExpired",
  "Microsoft.KeyVault.KeyNearExpiry",
  "Microsoft.KeyVault.KeyExpired",
] as const;

/** One entry of infra/k8s/required-permissions.json. */
export interface RequiredPermission {
  apiGroup: string;
  resource: string;
  verbs: string[];
  resourceNames?: string[];
  why: string;
}

export function loadRequiredPermissions(): RequiredPermission[] {
  return JSON.parse(readFileSync(REQUIRED_PERMISSIONS_FILE, "utf8")) as RequiredPermission[];
}

/** A normalized grant: one (apiGroup, resource, resourceNames) with its verbs, sorted. */
export interface Grant {
  apiGroup: string;
  resource: string;
  verbs: string[];
  resourceNames: string[];
}

export function grantKey(g: { apiGroup: string; resource: string; resourceNames?: string[] }): string {
  return `${g.apiGroup}/${g.resource}[${[...(g.resourceNames ?? [])].sort().join(",")}]`;
}

/** Normalize a list of grants: merge verbs of equal (group, resource, resourceNames), sort everything. */
export function normalizeGrants(
  grants: Array<{
    apiGroup: string;
    resource: string;
    verbs: string[];
    resourceNames?: string[];
  }>,
): Grant[] {
  const byKey = new Map<string, Grant>();
  for (const g of grants) {
    const key = grantKey(g);
    const existing = byKey.get(key);
    const verbs = new Set([...(existing?.verbs ?? []), ...g.verbs]);
    byKey.set(key, {
      apiGroup: g.apiGroup,
      resource: g.resource,
      verbs: [...verbs].sort(),
      resourceNames: [...(g.resourceNames ?? [])].sort(),
    });
  }
  return [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g);
}

/** Shape of a Kubernetes RBAC PolicyRule as written in YAML. */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** Expand PolicyRules (which may list several groups/resources) into normalized grants. */
export function grantsFromRules(rules: PolicyRule[]): Grant[] {
  const out: Array<{
    apiGroup: string;
    resource: string;
    verbs: string[];
    resourceNames?: string[];
  }> = [];
  for (const rule of rules) {
    for (const apiGroup of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        out.push({
          apiGroup,
          resource,
          verbs: rule.verbs ?? [],
          resourceNames: rule.resourceNames ?? [],
        });
      }
    }
  }
  return normalizeGrants(out);
}

type Hcl2JsonParse = (filename: string, contents: string) => Promise<Record<string, unknown>>;

/**
 * Parse every *.tf file under infra/ (not recursive) into the JSON form of @cdktf/hcl2json and merge the top-level
 * blocks. The import goes through a non-literal specifier so the package's `/// <reference lib="dom" />` typings do
 * not leak DOM globals into the project's type check.
 */
export async function loadTerraform(): Promise<{
  files: Record<string, string>;
  json: TerraformJson;
}> {
  const specifier = "@cdktf/hcl2json";
  const { parse } = (await import(specifier)) as { parse: Hcl2JsonParse };
  const files: Record<string, string> = {};
  const json: TerraformJson = {};
  for (const name of readdirSync(INFRA_DIR)
    .filter((n) => n.endsWith(".tf"))
    .sort()) {
    const contents = readFileSync(join(INFRA_DIR, name), "utf8");
    files[name] = contents;
    const parsed = (await parse(name, contents)) as TerraformJson;
    mergeTerraformJson(json, parsed);
  }
  return { files, json };
}

/** The parts of the hcl2json output the tests use. Blocks are arrays because HCL allows repeating them. */
export interface TerraformJson {
  terraform?: Array<Record<string, unknown>>;
  provider?: Record<string, Array<Record<string, unknown>>>;
  variable?: Record<string, Array<Record<string, unknown>>>;
  output?: Record<string, Array<Record<string, unknown>>>;
  locals?: Array<Record<string, unknown>>;
  data?: Record<string, Record<string, Array<Record<string, unknown>>>>;
  resource?: Record<string, Record<string, Array<Record<string, unknown>>>>;
  check?: Record<string, Array<Record<string, unknown>>>;
}

function mergeTerraformJson(into: TerraformJson, from: TerraformJson): void {
  into.terraform = [...(into.terraform ?? []), ...(from.terraform ?? [])];
  into.locals = [...(into.locals ?? []), ...(from.locals ?? [])];
  for (const key of ["provider", "variable", "output", "check"] as const) {
    const src = from[key];
    if (!src) continue;
    const dst = (into[key] ??= {});
    for (const [name, blocks] of Object.entries(src)) dst[name] = [...(dst[name] ?? []), ...blocks];
  }
  for (const key of ["data", "resource"] as const) {
    const src = from[key];
    if (!src) continue;
    const dst = (into[key] ??= {});
    for (const [type, byName] of Object.entries(src)) {
      const dstType = (dst[type] ??= {});
      for (const [name, blocks] of Object.entries(byName)) dstType[name] = [...(dstType[name] ?? []), ...blocks];
    }
  }
}

/** All locals, merged into one object. */
export function allLocals(tf: TerraformJson): Record<string, unknown> {
  return Object.assign({}, ...(tf.locals ?? [])) as Record<string, unknown>;
}

/** The single block of resource `type.name`; throws when it is missing or repeated. */
export function resourceBlock(tf: TerraformJson, type: string, name: string): Record<string, unknown> {
  const blocks = tf.resource?.[type]?.[name];
  if (!blocks || blocks.length !== 1) throw new Error(`expected exactly one resource ${type}.${name}, found ${blocks?.length ?? 0}`);
  return blocks[0] as Record<string, unknown>;
}

/** All blocks of a resource type, as [name, block] pairs. */
export function resourcesOfType(tf: TerraformJson, type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(tf.resource?.[type] ?? {}).flatMap(([name, blocks]) =>
    blocks.map((b) => [name, b] as [string, Record<string, unknown>]),
  );
}

/** The single nested block `name` inside a block (hcl2json renders nested blocks as one-element arrays). */
export function nestedBlock(block: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = block[name];
  if (!Array.isArray(value) || value.length !== 1) throw new Error(`expected exactly one nested block "${name}"`);
  return value[0] as Record<string, unknown>;
}
