// Command-line parsing for `kv-rotation-pusher` (node:util parseArgs, strict). Pure: no I/O, no environment.
// Name/type/namespace checks reuse the HTTP trigger's validation (parseRotateRequest), so the CLI and the API accept
// exactly the same requests; the allow-list (403) is checked later against the real configuration.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseRotateRequest } from "../signal/rotate-request.js";
import type { VaultConfig, VaultObjectType } from "../model/index.js";

export const PROGRAM = "kv-rotation-pusher";

export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: CommandName,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export type CommandName = "push" | "plan" | "drift" | "event" | "status" | "expiring";
export const COMMANDS: readonly CommandName[] = ["push", "plan", "drift", "event", "status", "expiring"];
export type OutputFormat = "table" | "json";

export interface CommonOptions {
  output: OutputFormat;
  kubeconfig?: string;
  context?: string;
  /** --cluster: only these clusters (names from KVRP_CLUSTERS, or the kubeconfig context name). */
  clusters: string[];
  /** --vault-url NAME=URL, in order. */
  vaultUrls: { name: string; url: string }[];
  verbose: boolean;
}

export type Command =
  | { command: "help"; topic?: CommandName }
  | {
      command: "push" | "plan";
      common: CommonOptions;
      vault: string;
      objectName: string;
      objectType: VaultObjectType;
      namespaces: string[];
      dryRun: boolean;
      /** push --wait: follow the rotation to its end (verified or failed) or the timeout. */
      wait: boolean;
      timeoutMs: number;
    }
  | { command: "drift"; common: CommonOptions; apply: boolean }
  | { command: "event"; common: CommonOptions; file: string; dryRun: boolean }
  | { command: "status"; common: CommonOptions; vault?: string; objectName?: string }
  | { command: "expiring"; common: CommonOptions; withinMs: number };

/** `push --wait` gives up after this (a Deployment's default progress deadline is 10 minutes). */
export const DEFAULT_WAIT_TIMEOUT = "10m";
export const DEFAULT_EXPIRING_WITHIN = "30d";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration as operators write it: a whole number and a unit (s, m, h, d), e.g. 90s, 10m, 30d. */
export function parseDuration(text: string, flag: string, command: CommandName): number {
  const m = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (!m || Number(m[1]) === 0)
    throw new UsageError(`${flag} must be a whole number with a unit s, m, h or d (e.g. 90s, 10m, 30d), got "${text}"`, command);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

const COMMON_HELP = `Cluster and vault selection:
  --kubeconfig PATH      kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME         kubeconfig context (default: its current context); the cluster is named after the context.
                         Without --kubeconfig/--context: the clusters in KVRP_CLUSTERS when set, else the current
                         context of the default kubeconfig.
  --cluster NAME         only this cluster (repeatable; a name from KVRP_CLUSTERS or the context name)
  --vault-url NAME=URL   allow-list vault NAME at https URL (repeatable); replaces KVRP_VAULTS for this run
Output:
  -o, --output FORMAT    table (default) or json (the report)
  -v, --verbose          structured log lines on stderr
  -h, --help             this help`;

const ENV_HELP = `Environment:
  KVRP_VAULTS                 the vault allow-list, JSON [{name, resourceId, url, namespaces?}] (required unless --vault-url)
  KVRP_CLUSTERS               configured clusters, JSON (see README); used when no --kubeconfig/--context
  KVRP_RESTART_POLICY, KVRP_MOUNT_REFRESH, KVRP_NAMESPACES_INCLUDE, KVRP_NAMESPACES_EXCLUDE, KVRP_DRY_RUN,
  KVRP_CONCURRENCY, KVRP_DRIFT_GRACE_SECONDS, KVRP_NAMESPACE_READ_BUDGET, KVRP_PROOF_VERSIONS,
  KVRP_DIGEST_KEY             as for the function app
  KVRP_KEYVAULT_API_VERSION   pin the Key Vault API version (emulators)
  KVRP_KEYVAULT_CA_FILE       PEM CA bundle trusted for Key Vault TLS (emulators)
  KVRP_KEYVAULT_STATIC_TOKEN  EMULATORS ONLY: fixed bearer token instead of DefaultAzureCredential
Key Vault (and AKS "azure" clusters) authenticate with DefaultAzureCredential (az login, environment, managed identity).
Exit codes: 0 done, 1 failed (a cluster, read or action failed; safe to run again), 2 bad usage or configuration.`;

export const HELP: Record<CommandName | "main", string> = {
  main: `${PROGRAM} — push Azure Key Vault rotations into Kubernetes (Secrets Store CSI driver) now

Usage:
  ${PROGRAM} push  --vault V --name N [--type secret|certificate|key] [--namespace NS]... [--cluster C]... [--dry-run]
                   [--wait [--timeout 10m]]
  ${PROGRAM} plan  --vault V --name N [--type secret|certificate|key] [--namespace NS]... [--cluster C]...
  ${PROGRAM} drift [--cluster C]... [--apply]
  ${PROGRAM} event [FILE|-] [--dry-run]
  ${PROGRAM} status [--vault V [--name N]] [--cluster C]...
  ${PROGRAM} expiring [--within 30d] [--cluster C]...
  ${PROGRAM} <command> --help

Commands:
  push      read the object's current version and push it to every Secret, pod and workload that uses it
            (--wait: follow the rotation until every workload verified it, or it failed)
  plan      what push would do, changing nothing
  drift     what the reconcile timer would do (changing nothing; --apply to push the drift it finds)
  event     process a Key Vault Event Grid / CloudEvents payload from FILE or stdin, as the function app would
  status    rotations in flight and their last outcome (RotationVerified / RotationFailed), per cluster
  expiring  Key Vault objects in use that expire soon, by workload (attributes only: no value is read)

${COMMON_HELP}

${ENV_HELP}`,
  push: `Usage: ${PROGRAM} push --vault V --name N [--type secret|certificate|key] [--namespace NS]... [--cluster C]... [--dry-run]

Reads the object's current version from Key Vault once and pushes it: patches the synced Secrets, asks the CSI
driver to refresh mounts, restarts the workloads that need it (per KVRP_RESTART_POLICY / KVRP_MOUNT_REFRESH).
  --vault V          Key Vault name (must be in the allow-list)
  --name N           secret / certificate / key name
  --type T           secret (default), certificate or key
  --namespace NS     only this namespace (repeatable; within KVRP_NAMESPACES_INCLUDE/EXCLUDE)
  --dry-run          plan only, change nothing (same as \`plan\`)
  --wait             then follow the rotation live, a progress line per cluster, until every workload it reached
                     verified it (Secrets hold the new bytes, mounts report the new version, rollouts complete, no
                     pod failing) or it failed; exit 1 if it failed or did not finish in time
  --timeout D        how long --wait follows it (default ${DEFAULT_WAIT_TIMEOUT}; 90s, 10m, 1h)

${COMMON_HELP}

${ENV_HELP}`,
  plan: `Usage: ${PROGRAM} plan --vault V --name N [--type secret|certificate|key] [--namespace NS]... [--cluster C]...

What \`push\` would do, changing nothing (one Key Vault read per object, Kubernetes reads only).
  --vault V, --name N, --type T, --namespace NS   as for push

${COMMON_HELP}

${ENV_HELP}`,
  drift: `Usage: ${PROGRAM} drift [--cluster C]... [--apply]

Compares every unpinned object referenced by SecretProviderClasses with Key Vault's current version (one read per
distinct object) and reports the drift and what the reconcile timer would do about it. Changes nothing unless
--apply is given (then it pushes, as the timer does).
  --apply            push the drift found (default: dry run)

${COMMON_HELP}

${ENV_HELP}`,
  status: `Usage: ${PROGRAM} status [--vault V [--name N]] [--cluster C]...

Rotations being verified and the last outcome of each, per cluster: RotationVerified (with the time from the Key
Vault event), RotationFailed (which workloads and pods, and why), or in flight (what it is still waiting for). Reads
only: the verification records on workloads, their pods and mounts, and Key Vault's current version.
  --vault V          only this vault's objects
  --name N           only this object (with --vault)

${COMMON_HELP}

${ENV_HELP}`,
  expiring: `Usage: ${PROGRAM} expiring [--within 30d] [--cluster C]...

Objects that SecretProviderClasses use and whose current version (or pinned version) expires within the window or
has expired, with the workloads that mount them or read their synced Secrets. Reads attributes only (Key Vault's
properties listings): no secret value is ever read.
  --within D         the window (default ${DEFAULT_EXPIRING_WITHIN}; e.g. 7d, 12h)

${COMMON_HELP}

${ENV_HELP}`,
  event: `Usage: ${PROGRAM} event [FILE|-] [--dry-run]

Processes a Key Vault event payload (Event Grid schema array/object, or CloudEvents) from FILE, or from stdin when
FILE is "-" or absent, exactly as the onKeyVaultEvent function would: events from vaults outside the allow-list or
whose topic/source does not match KVRP_VAULTS are rejected (exit 1). Needs KVRP_VAULTS (events are verified against
the vaults' resource ids; --vault-url cannot be used).
  --dry-run          plan only, change nothing

${COMMON_HELP}

${ENV_HELP}`,
};

type Options = NonNullable<ParseArgsConfig["options"]>;

const COMMON_OPTIONS: Options = {
  kubeconfig: { type: "string" },
  context: { type: "string" },
  cluster: { type: "string", multiple: true },
  "vault-url": { type: "string", multiple: true },
  output: { type: "string", short: "o" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
};

const COMMAND_OPTIONS: Record<CommandName, Options> = {
  push: {
    vault: { type: "string" },
    name: { type: "string" },
    type: { type: "string" },
    namespace: { type: "string", multiple: true },
    "dry-run": { type: "boolean" },
    wait: { type: "boolean" },
    timeout: { type: "string" },
  },
  plan: {
    vault: { type: "string" },
    name: { type: "string" },
    type: { type: "string" },
    namespace: { type: "string", multiple: true },
  },
  drift: { apply: { type: "boolean" } },
  event: { "dry-run": { type: "boolean" } },
  status: { vault: { type: "string" }, name: { type: "string" } },
  expiring: { within: { type: "string" } },
};

const SINGLE = ["kubeconfig", "context", "output", "vault", "name", "type", "timeout", "within"];

/** parseRotateRequest field → the flag that carries it. */
const FLAG_OF: Record<string, string> = {
  vault: "--vault",
  objectName: "--name",
  objectType: "--type",
  namespaces: "--namespace",
  clusters: "--cluster",
};

function isCommand(s: string | undefined): s is CommandName {
  return (COMMANDS as readonly string[]).includes(s ?? "");
}

function parseArgsError(e: unknown, command: CommandName): UsageError {
  const err = e as { code?: string; message?: string };
  const msg = (err.message ?? String(e))
    .replace(/\. To specify a positional argument.*$/s, "")
    .replace(/\s+/g, " ")
    .trim();
  return new UsageError(msg, command);
}

function common(values: Record<string, unknown>, command: CommandName): CommonOptions {
  const output = (values.output as string | undefined) ?? "table";
  if (output !== "table" && output !== "json") throw new UsageError(`--output must be table or json, got "${output}"`, command);
  const vaultUrls = ((values["vault-url"] as string[] | undefined) ?? []).map((v) => {
    const i = v.indexOf("=");
    if (i <= 0 || i === v.length - 1)
      throw new UsageError(`--vault-url must be NAME=URL (e.g. contoso-prod=https://contoso-prod.vault.azure.net), got "${v}"`, command);
    return { name: v.slice(0, i), url: v.slice(i + 1) };
  });
  const out: CommonOptions = {
    output,
    clusters: (values.cluster as string[] | undefined) ?? [],
    vaultUrls,
    verbose: values.verbose === true,
  };
  if (typeof values.kubeconfig === "string") {
    if (values.kubeconfig === "") throw new UsageError("--kubeconfig needs a file path", command);
    out.kubeconfig = values.kubeconfig;
  }
  if (typeof values.context === "string") {
    if (values.context === "") throw new UsageError("--context needs a context name", command);
    out.context = values.context;
  }
  return out;
}

/** The same validation as `POST /api/rotate` (form only: every vault is allow-listed here, the real check comes later). */
export function validateObjectFlags(
  f: { vault?: string; name?: string; type?: string; namespaces: string[]; clusters: string[] },
  command: CommandName,
  ctx?: { vaults: ReadonlyMap<string, VaultConfig>; clusterNames: readonly string[] },
): { vault: string; objectName: string; objectType: VaultObjectType; namespaces: string[]; clusters: string[] } {
  if (f.vault === undefined) throw new UsageError("--vault is required: the Key Vault name", command);
  if (f.name === undefined) throw new UsageError("--name is required: the secret / certificate / key name", command);
  const anyVault = new Map<string, VaultConfig>([[f.vault.toLowerCase(), { name: f.vault.toLowerCase(), resourceId: "", url: "" }]]);
  const r = parseRotateRequest(
    {
      vault: f.vault,
      objectName: f.name,
      ...(f.type !== undefined ? { objectType: f.type } : {}),
      ...(f.namespaces.length ? { namespaces: f.namespaces } : {}),
      ...(f.clusters.length ? { clusters: f.clusters } : {}),
    },
    ctx ?? { vaults: anyVault, clusterNames: f.clusters },
  );
  if (!r.ok) {
    const flag = r.field !== undefined ? FLAG_OF[r.field] : undefined;
    const message = r.status === 403 ? `--vault: ${r.message} (KVRP_VAULTS or --vault-url)` : flag ? `${flag}: ${r.message}` : r.message;
    throw new UsageError(message, command);
  }
  return {
    vault: r.value.vault,
    objectName: r.value.objectName,
    objectType: r.value.objectType,
    namespaces: r.value.namespaces ?? [],
    clusters: r.value.clusters ?? [],
  };
}

/** Parses argv (without node and the script). Throws UsageError for anything the user must fix (exit 2). */
export function parseCli(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError(`a command is required: ${COMMANDS.join(", ")}`);
  if (first === "--help" || first === "-h") return { command: "help" };
  if (first === "help") {
    const topic = rest[0];
    if (topic === undefined) return { command: "help" };
    if (!isCommand(topic)) throw new UsageError(`unknown command "${topic}"; commands: ${COMMANDS.join(", ")}`);
    return { command: "help", topic };
  }
  if (!isCommand(first))
    throw new UsageError(
      first.startsWith("-")
        ? `a command must come first (${COMMANDS.join(", ")}), got "${first}"`
        : `unknown command "${first}"; commands: ${COMMANDS.join(", ")}`,
    );
  const command = first;
  let parsed: { values: Record<string, unknown>; positionals: string[]; tokens?: { kind: string; name?: string }[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...COMMON_OPTIONS, ...COMMAND_OPTIONS[command] },
      allowPositionals: true,
      strict: true,
      tokens: true,
    }) as typeof parsed;
  } catch (e) {
    // --help wins over any other mistake on the line.
    if (rest.includes("--help") || rest.includes("-h")) return { command: "help", topic: command };
    throw parseArgsError(e, command);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { command: "help", topic: command };
  for (const name of SINGLE) {
    const n = (parsed.tokens ?? []).filter((t) => t.kind === "option" && t.name === name).length;
    if (n > 1) throw new UsageError(`--${name} is given ${n} times; expected once`, command);
  }
  const c = common(values, command);

  if (command === "event") {
    if (positionals.length > 1) throw new UsageError(`event takes one FILE (or - for stdin), got ${positionals.length}`, command);
    return { command, common: c, file: positionals[0] ?? "-", dryRun: values["dry-run"] === true };
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, command);
  if (command === "drift") return { command, common: c, apply: values.apply === true };
  if (command === "expiring")
    return {
      command,
      common: c,
      withinMs: parseDuration((values.within as string | undefined) ?? DEFAULT_EXPIRING_WITHIN, "--within", command),
    };
  if (command === "status") {
    const vault = values.vault as string | undefined;
    const name = values.name as string | undefined;
    if (name !== undefined && vault === undefined) throw new UsageError("--name needs --vault: object names are per vault", command);
    if (vault === undefined) return { command, common: c };
    const v = validateObjectFlags({ vault, name: name ?? "x", namespaces: [], clusters: c.clusters }, command);
    return { command, common: { ...c, clusters: v.clusters }, vault: v.vault, ...(name !== undefined ? { objectName: v.objectName } : {}) };
  }

  const v = validateObjectFlags(
    {
      vault: values.vault as string | undefined,
      name: values.name as string | undefined,
      type: values.type as string | undefined,
      namespaces: (values.namespace as string[] | undefined) ?? [],
      clusters: c.clusters,
    },
    command,
  );
  return {
    command,
    common: { ...c, clusters: v.clusters },
    vault: v.vault,
    objectName: v.objectName,
    objectType: v.objectType,
    namespaces: v.namespaces,
    dryRun: command === "plan" || values["dry-run"] === true,
    ...waitOptions(values, command),
  };
}

function waitOptions(values: Record<string, unknown>, command: CommandName): { wait: boolean; timeoutMs: number } {
  const wait = values.wait === true;
  if (values.timeout !== undefined && !wait) throw new UsageError("--timeout needs --wait", command);
  if (wait && values["dry-run"] === true) throw new UsageError("--wait follows a push; a dry run has nothing to follow", command);
  return { wait, timeoutMs: parseDuration((values.timeout as string | undefined) ?? DEFAULT_WAIT_TIMEOUT, "--timeout", command) };
}
