// A setting that holds a JSON array of named entries (KVRP_CLUSTERS, KVRP_VAULTS): required, valid JSON, non-empty,
// each entry valid, names unique.
import * as v from "valibot";
import { jsonErrorWithoutInput } from "./errors.js";

export function jsonListSetting<TItem extends v.GenericSchema<unknown, { name: string }>>(opts: {
  /** What the setting is, for "is required: …". */
  required: string;
  example: string;
  /** The entry's noun for "duplicate … "x"". */
  noun: string;
  item: TItem;
}) {
  return v.pipe(
    v.optional(v.string(), ""),
    v.trim(),
    v.nonEmpty(`is required: ${opts.required}, e.g. ${opts.example}`),
    v.parseJson(
      undefined,
      (issue) => `is not valid JSON (${jsonErrorWithoutInput(issue.received.replace(/^"|"$/g, ""))}); expected e.g. ${opts.example}`,
    ),
    v.array(opts.item, "must be a non-empty JSON array"),
    v.minLength(1, "must be a non-empty JSON array"),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const seen = new Set<string>();
      dataset.value.forEach((entry, i) => {
        if (!seen.has(entry.name)) return void seen.add(entry.name);
        addIssue({
          message: `duplicate ${opts.noun} "${entry.name}"`,
          path: [
            { type: "array", origin: "value", input: dataset.value, key: i, value: entry },
            { type: "object", origin: "value", input: entry, key: "name", value: entry.name },
          ],
        });
      });
    }),
  );
}
