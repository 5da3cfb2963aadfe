// Reading `parameters.objects` the way the Azure provider does: a YAML string with `array:` of YAML strings (pure).
import { parse as parseYaml } from "yaml";
import { goTrimSpace } from "../lib/go-strings.js";
import type { SpcObject } from "../model/index.js";

const OBJECT_TYPES = new Set(["secret", "key", "cert"]);

// A plain scalar the YAML 1.2 core schema reads as this very string (no numbers, booleans, nulls, specials).
const SAFE_PLAIN = /^[A-Za-z_][A-Za-z0-9._/-]*$/;
const CORE_SPECIALS = new Set(["true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL"]);
const ITEM_LINE = /^( +)- \|[-+]?[ ]*$/;
const ENTRY_LINE = /^( +)([A-Za-z]+): (.*?)[ ]*$/;

function fastScalar(v: string): string | undefined {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    const inner = v.slice(1, -1);
    return /["\\]/.test(inner) ? undefined : inner;
  }
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) {
    const inner = v.slice(1, -1);
    return inner.includes("'") ? undefined : inner;
  }
  return SAFE_PLAIN.test(v) && !CORE_SPECIALS.has(v) ? v : undefined;
}

/**
 * The common shape — `array:` then `- |` block items of `key: value` lines with simple scalars — read without a YAML
 * parser (10,000 SPCs cost seconds through it). Anything else (comments, quotes with escapes, numbers, flow style,
 * nesting, blank lines, duplicate keys…) returns undefined and goes through the YAML parser, so results are identical.
 */
export function fastObjectItems(text: string): Record<string, string>[] | undefined {
  const lines = text.split("\n");
  while (lines.length && lines[lines.length - 1]!.trim() === "") lines.pop();
  if (lines[0]?.trimEnd() !== "array:") return undefined;
  const items: Record<string, string>[] = [];
  let itemIndent = -1;
  let entryIndent = -1;
  let cur: Record<string, string> | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.includes("\t") || line.includes("#")) return undefined;
    const item = ITEM_LINE.exec(line);
    if (item) {
      if (itemIndent === -1) itemIndent = item[1]!.length;
      else if (item[1]!.length !== itemIndent) return undefined;
      if (cur && Object.keys(cur).length === 0) return undefined;
      cur = {};
      items.push(cur);
      entryIndent = -1;
      continue;
    }
    const e = ENTRY_LINE.exec(line);
    if (!e || !cur) return undefined;
    const indent = e[1]!.length;
    if (indent <= itemIndent) return undefined;
    if (entryIndent === -1) entryIndent = indent;
    else if (indent !== entryIndent) return undefined;
    const key = e[2]!;
    if (Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    const value = fastScalar(e[3]!);
    if (value === undefined) return undefined;
    cur[key] = value;
  }
  if (items.length === 0 || (cur && Object.keys(cur).length === 0)) return undefined;
  return items;
}

/** `parameters.objects` is a YAML string with `array:` of YAML strings, each one object (provider GetObjectsArray). */
export function parseObjects(text: string | undefined): SpcObject[] {
  if (!text || !text.trim()) return [];
  let arr: unknown[] | undefined = fastObjectItems(text);
  if (!arr) {
    const doc = parseYaml(text) as { array?: unknown } | null;
    if (!Array.isArray(doc?.array)) throw new Error("parameters.objects has no `array:` list");
    arr = doc.array as unknown[];
  }
  return arr.map((item, i) => {
    const o = (typeof item === "string" ? parseYaml(item) : item) as Record<string, unknown> | null;
    if (!o || typeof o !== "object") throw new Error(`parameters.objects array[${i}] is not a mapping`);
    const str = (k: string) => (o[k] === undefined || o[k] === null ? undefined : goTrimSpace(String(o[k])));
    const objectName = str("objectName");
    if (!objectName) throw new Error(`parameters.objects array[${i}] has no objectName`);
    const objectType = str("objectType") ?? "";
    if (!OBJECT_TYPES.has(objectType)) throw new Error(`object ${objectName}: objectType "${objectType}" is not secret, key or cert`);
    const hist = str("objectVersionHistory");
    const out: SpcObject = { objectName, objectType: objectType as SpcObject["objectType"] };
    const alias = str("objectAlias");
    if (alias) out.objectAlias = alias;
    const version = str("objectVersion");
    if (version) out.objectVersion = version;
    if (hist) {
      const n = Number(hist);
      if (!Number.isInteger(n) || n < 0) throw new Error(`object ${objectName}: objectVersionHistory "${hist}" is not a whole number`);
      out.objectVersionHistory = n;
    }
    const fmt = str("objectFormat");
    if (fmt) out.objectFormat = fmt; // compared with Go's EqualFold by the renderer
    const enc = str("objectEncoding");
    if (enc) out.objectEncoding = enc;
    const perm = str("filePermission");
    if (perm) out.filePermission = perm;
    return out;
  });
}
