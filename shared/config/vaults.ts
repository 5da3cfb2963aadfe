// KVRP_VAULTS: the vault allow-list. Only these vaults' events are acted on, and only these vaults are read.
import * as v from "valibot";
import { isValidVaultName, parseVaultResourceId, VAULT_NAME_RULE } from "../names/keyvault.js";
import { isNamespaceGlob, NAMESPACE_GLOB_RULE } from "../names/kubernetes.js";
import { quoteForLog, typeName } from "../names/untrusted.js";
import type { VaultConfig } from "../model/index.js";
import { configError, objectMessage } from "./errors.js";
import { jsonListSetting } from "./json-list.js";
import { SETTINGS } from "./settings.js";

const FIELDS = ["name", "resourceId", "url", "namespaces"] as const;
const NAME = `must be a Key Vault name (${VAULT_NAME_RULE})`;
const URL_RULE = "must be the vault's https:// URL";

const vault = v.pipe(
  v.strictObject(
    {
      name: v.pipe(
        v.string(NAME),
        v.check((s: string) => isValidVaultName(s), NAME),
        v.toLowerCase(),
      ),
      resourceId: v.string("must be the vault's ARM resource id"),
      url: v.pipe(v.string(URL_RULE), v.regex(/^https:\/\/[^\s]+$/, URL_RULE)),
      /** Absent: SecretProviderClasses of every namespace may name this vault. */
      namespaces: v.optional(
        v.pipe(
          v.array(
            v.pipe(
              v.string((i) => `must be a string (${NAMESPACE_GLOB_RULE}), got ${typeName(i.input)}`),
              v.check(
                (s: string) => isNamespaceGlob(s),
                (i) => `${quoteForLog(i.input, 70)} is not ${NAMESPACE_GLOB_RULE}`,
              ),
            ),
            'must be an array of namespace names or globs, e.g. ["team-a", "team-b-*"]',
          ),
          v.minLength(1, "must not be empty; omit it to allow every namespace"),
        ),
      ),
    },
    objectMessage("a vault {name, resourceId, url, namespaces?}", FIELDS),
  ),
  v.forward(
    v.partialCheck(
      [["name"], ["resourceId"]],
      (o) => parseVaultResourceId(o.resourceId)?.vault.toLowerCase() === o.name,
      (issue) => {
        const name = (issue.input as { name?: unknown }).name;
        return `must be the vault's ARM id ending in /providers/Microsoft.KeyVault/vaults/${String(name)}`;
      },
    ),
    ["resourceId"],
  ),
  v.transform((o): VaultConfig => ({
    name: o.name,
    resourceId: o.resourceId,
    url: o.url.replace(/\/+$/, ""),
    ...(o.namespaces !== undefined ? { namespaces: [...new Set(o.namespaces)] } : {}),
  })),
);

export const vaultsSetting = v.pipe(
  jsonListSetting({ required: "the vault allow-list", example: SETTINGS.KVRP_VAULTS, noun: "vault", item: vault }),
  v.transform((list) => new Map(list.map((x) => [x.name, x]))),
);

/** Parses KVRP_VAULTS (or another source named `setting`); throws ConfigError naming the setting and field. */
export function parseVaults(raw: string | undefined, setting = "KVRP_VAULTS"): Map<string, VaultConfig> {
  const r = v.safeParse(vaultsSetting, raw, { abortEarly: true });
  if (!r.success) throw configError(setting, r.issues);
  return r.output;
}

/** The allow-listed vault of this name (case-insensitive), if any. */
export function lookupVault(vaults: ReadonlyMap<string, VaultConfig>, name: string): VaultConfig | undefined {
  const lower = name.toLowerCase();
  const direct = vaults.get(lower);
  if (direct) return direct;
  for (const [k, vc] of vaults) if (k.toLowerCase() === lower || vc.name.toLowerCase() === lower) return vc;
  return undefined;
}
