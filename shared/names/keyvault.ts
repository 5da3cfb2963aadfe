// Azure Key Vault names and vault resource ids: the one place for these rules (config, signals and requests use them).
//
// Names, from Microsoft's "Naming rules and restrictions for Azure resources", section Microsoft.KeyVault
// (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftkeyvault):
//   vaults: 3-24 characters, alphanumerics and hyphens; start with a letter; end with a letter or digit; can't contain
//   consecutive hyphens. vaults/secrets: 1-127 characters, alphanumerics and hyphens (keys and certificates alike).
// A name that breaks these can never be a real vault, so a vault the allow-list accepts is one whose events parse.

export const VAULT_NAME_RULE = "3-24 characters of [0-9a-zA-Z-], starting with a letter, ending with a letter or digit, no '--'";
export const OBJECT_NAME_RULE = "1-127 characters of [0-9a-zA-Z-]";

const VAULT_NAME_RE = /^[a-zA-Z](?:[0-9a-zA-Z]|-(?!-)){1,22}[0-9a-zA-Z]$/;
const OBJECT_NAME_RE = /^[0-9a-zA-Z-]{1,127}$/;

/** Key Vault vault name (case as given; vault names are case-insensitive). */
export function isValidVaultName(s: unknown): s is string {
  return typeof s === "string" && VAULT_NAME_RE.test(s);
}

/** Key Vault secret / key / certificate name. */
export function isValidObjectName(s: unknown): s is string {
  return typeof s === "string" && OBJECT_NAME_RE.test(s);
}

/** How a vault's ARM resource id looks (the topic / source of its Event Grid events, the `resourceId` of KVRP_VAULTS). */
export const VAULT_RESOURCE_ID_SHAPE = "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>";

export interface VaultResourceId {
  subscription: string;
  resourceGroup: string;
  /** The last segment as given (not checked against the vault-name rule here). */
  vault: string;
}

/** ARM ids are case-insensitive; no segment may be empty or hold a slash. Longer input is never an ARM id. */
const VAULT_RESOURCE_ID_RE = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)$/i;
const MAX_RESOURCE_ID_LENGTH = 1024;

/** The parts of a vault's ARM resource id, or undefined when `s` is not one. */
export function parseVaultResourceId(s: unknown): VaultResourceId | undefined {
  if (typeof s !== "string" || s.length > MAX_RESOURCE_ID_LENGTH) return undefined;
  const m = VAULT_RESOURCE_ID_RE.exec(s);
  return m ? { subscription: m[1]!, resourceGroup: m[2]!, vault: m[3]! } : undefined;
}

/** A vault's ARM resource id from its parts (the inverse of parseVaultResourceId). */
export function vaultResourceId(id: VaultResourceId): string {
  return `/subscriptions/${id.subscription}/resourceGroups/${id.resourceGroup}/providers/Microsoft.KeyVault/vaults/${id.vault}`;
}
