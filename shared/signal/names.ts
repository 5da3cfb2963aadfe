import type { VaultConfig } from "../types.js";
// Name validators for everything a signal or a rotate request names, plus a log-safe echo of untrusted input.
//
// Key Vault rules (learn.microsoft.com "Naming rules and restrictions for Azure resources", Microsoft.KeyVault):
//   vault name: 3–24 characters, alphanumerics and hyphens, starts with a letter, ends with a letter or digit,
//   no consecutive hyphens. Object (secret/key/certificate) name: 1–127 characters, alphanumerics and hyphens.
// Kubernetes rules (k8s.io/apimachinery/pkg/util/validation): DNS-1123 label (≤ 63) and subdomain (≤ 253).

export const VAULT_NAME_RULE = "3-24 characters of [0-9a-zA-Z-], starting with a letter, ending with a letter or digit, no '--'";
export const OBJECT_NAME_RULE = "1-127 characters of [0-9a-zA-Z-]";
export const DNS1123_LABEL_RULE = "a DNS-1123 label: 1-63 characters of [a-z0-9-], starting and ending with a letter or digit";
export const DNS1123_SUBDOMAIN_RULE = "a DNS-1123 subdomain: 1-253 characters, dot-separated DNS-1123 labels of [a-z0-9-]";

const VAULT_NAME_RE = /^[a-zA-Z](?:[0-9a-zA-Z]|-(?!-)){1,22}[0-9a-zA-Z]$/;
const OBJECT_NAME_RE = /^[0-9a-zA-Z-]{1,127}$/;
const DNS1123_LABEL_RE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

/** Key Vault vault name (case as given; vault names are case-insensitive). */
export function isValidVaultName(s: unknown): s is string {
  return typeof s === "string" && VAULT_NAME_RE.test(s);
}

/** Key Vault secret / key / certificate name. */
export function isValidObjectName(s: unknown): s is string {
  return typeof s === "string" && OBJECT_NAME_RE.test(s);
}

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

/** Characters never echoed raw: C0/C1 controls, DEL, line/paragraph separators, bidi controls, zero-width chars, BOM. */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHAR_RE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

/**
 * Make an untrusted value safe to put into a log line or error message: unsafe characters become `\uXXXX`
 * escapes (`\n`, `\r`, `\t` as such), and the result is cut to at most `max` UTF-16 code units (never splitting a pair), ending
 * in `…` when cut. Non-strings are described by type (`<number 3>`, `<object>`), never serialised in full.
 */
export function sanitizeForLog(s: unknown, max = 100): string {
  const limit = Math.max(1, Math.floor(max));
  let text: string;
  if (typeof s === "string") text = s;
  else if (typeof s === "number" || typeof s === "boolean" || typeof s === "bigint") text = `<${typeof s} ${String(s)}>`;
  else if (s === null) text = "<null>";
  else if (s === undefined) text = "<undefined>";
  else if (Array.isArray(s)) text = `<array of ${s.length}>`;
  else text = `<${typeof s}>`;

  const out: string[] = [];
  let length = 0;
  for (const ch of text) {
    let piece: string;
    if (ch === "\n") piece = "\\n";
    else if (ch === "\r") piece = "\\r";
    else if (ch === "\t") piece = "\\t";
    else if (UNSAFE_CHAR_RE.test(ch)) piece = `\\u${ch.codePointAt(0)!.toString(16).padStart(4, "0")}`;
    else if (ch.length === 1 && ch >= "\ud800" && ch <= "\udfff")
      piece = "\\ufffd"; // lone surrogate
    else piece = ch;
    const pieceLen = piece.length;
    if (length + pieceLen > limit) {
      // cut: make room for the ellipsis
      while (out.length > 0 && length + 1 > limit) {
        const last = out.pop()!;
        length -= last.length;
      }
      out.push("…");
      return out.join("");
    }
    out.push(piece);
    length += pieceLen;
  }
  return out.join("");
}

/** `sanitizeForLog` wrapped in double quotes, for quoting a value inside a message. */
export function quoteForLog(s: unknown, max = 100): string {
  return typeof s === "string" ? `"${sanitizeForLog(s, max)}"` : sanitizeForLog(s, max);
}

/** The allow-listed vault of this name (case-insensitive), if any. */
export function lookupVault(vaults: ReadonlyMap<string, VaultConfig>, name: string): VaultConfig | undefined {
  const lower = name.toLowerCase();
  const direct = vaults.get(lower);
  if (direct) return direct;
  for (const [k, v] of vaults) if (k.toLowerCase() === lower || v.name.toLowerCase() === lower) return v;
  return undefined;
}
