// Looking at untrusted input (request bodies, event payloads, settings) and echoing it safely into messages and logs.

/** A JSON-style object: not null, not an array, not a class instance (Date, Map, …). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The JSON-ish type name of a value for "expected X, got Y" messages: `null`, `array`, or `typeof`. Never the value. */
export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** Characters never echoed raw: C0/C1 controls, DEL, line/paragraph separators, bidi controls, zero-width chars, BOM. */
// eslint-disable-next-line no-control-regex
export const UNSAFE_CHAR_RE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

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

/** Up to `maxItems` quoted values, then "and N more". */
export function listForLog(items: readonly string[], maxItems = 8, each = 40): string {
  const shown = items.slice(0, maxItems).map((s) => quoteForLog(s, each));
  return items.length > maxItems ? `${shown.join(", ")} and ${items.length - maxItems} more` : shown.join(", ");
}
