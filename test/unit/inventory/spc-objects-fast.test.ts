// parameters.objects fast path (shared/inventory/spc.ts fastObjectItems): whenever it accepts a text, it must read
// exactly what the YAML parser reads; everything else must fall back to the parser.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { fastObjectItems, parseObjects } from "../../../shared/kube/spc-objects.js";
import { objectsYaml } from "../../support/fixtures.js";

/** The YAML parser's reading, item by item (what parseObjects did before the fast path). */
function slowItems(text: string): unknown[] | undefined {
  try {
    const doc = parseYaml(text) as { array?: unknown } | null;
    if (!Array.isArray(doc?.array)) return undefined;
    return doc.array.map((item) => (typeof item === "string" ? parseYaml(item) : item));
  } catch {
    return undefined;
  }
}

const keys = fc.constantFrom(
  "objectName",
  "objectType",
  "objectAlias",
  "objectVersion",
  "objectEncoding",
  "objectFormat",
  "objectVersionHistory",
  "filePermission",
);
const values = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9._/-]{0,12}$/),
  fc.constantFrom(
    "secret",
    "cert",
    "key",
    "true",
    "False",
    "NULL",
    "null",
    "~",
    "yes",
    "0123",
    "12",
    "1e3",
    "0x1F",
    ".inf",
    "-x",
    "a b",
    "a: b",
    "a #c",
    "é",
    "",
  ),
  fc.string({ maxLength: 8 }),
);
const quoting = fc.constantFrom("plain", "double", "single");

function render(v: string, q: string): string {
  return q === "double" ? `"${v}"` : q === "single" ? `'${v}'` : v;
}

describe("parameters.objects fast path", () => {
  it("reads the common shape without the YAML parser, exactly as the parser does", () => {
    const text = objectsYaml([
      { objectName: "db-password", objectType: "secret" },
      { objectName: "tls", objectType: "cert", objectAlias: "tls.crt", objectFormat: "pem" },
    ]);
    expect(fastObjectItems(text)).toEqual(slowItems(text));
    expect(fastObjectItems(text)).toHaveLength(2);
    expect(parseObjects(text)).toEqual([
      { objectName: "db-password", objectType: "secret" },
      { objectName: "tls", objectType: "cert", objectAlias: "tls.crt", objectFormat: "pem" },
    ]);
    const hand =
      "array:\n  - |\n    objectName: a\n    objectType: secret\n    objectVersion: \"\"\n  - |-\n    objectName: 'b'\n    objectType: key\n";
    expect(fastObjectItems(hand)).toEqual(slowItems(hand));
  });

  it("accepts only what the parser reads identically (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(keys, values, quoting), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom("  ", "    ", " "),
        fc.constantFrom("    ", "      ", "  "),
        fc.constantFrom("|", "|-", "|+", "|2", ">"),
        fc.constantFrom("", "\n", "\n\n", "  \n"),
        (items, itemIndent, entryIndent, indicator, tail) => {
          const lines = ["array:"];
          for (const entries of items) {
            lines.push(`${itemIndent}- ${indicator}`);
            for (const [k, v, q] of entries) lines.push(`${itemIndent}${entryIndent}${k}: ${render(v, q)}`);
          }
          const text = lines.join("\n") + tail;
          const fast = fastObjectItems(text);
          if (fast === undefined) return;
          expect(fast).toEqual(slowItems(text));
          // (parseObjects builds its objects from these items the same way on both paths)
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("falls back on comments, flow style, nesting and duplicate keys", () => {
    for (const t of [
      "array:\n  - |\n    objectName: a # c\n    objectType: secret\n",
      "array: [ '{objectName: a, objectType: secret}' ]\n",
      "array:\n  - objectName: a\n    objectType: secret\n",
      "array:\n  - |\n    objectName: a\n    objectName: b\n",
      "array:\n  - |\n    objectName: a\n\n    objectType: secret\n",
      "other: x\narray:\n  - |\n    objectName: a\n",
    ])
      expect(fastObjectItems(t), t).toBeUndefined();
  });
});
