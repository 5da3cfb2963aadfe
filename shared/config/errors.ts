// Configuration errors: each names the setting (and the field inside a JSON setting) and says what is expected.
import type * as v from "valibot";
import { sanitizeForLog } from "../names/untrusted.js";

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`configuration: ${setting}: ${message}`);
    this.name = "ConfigError";
  }
}

/** `KVRP_VAULTS[0].namespaces[2]` from a setting name and an issue's path (keys echoed safely: they are user input). */
export function settingPath(setting: string, path: readonly v.IssuePathItem[] | undefined): string {
  let out = setting;
  for (const item of path ?? []) {
    const key: unknown = item.key;
    out += typeof key === "number" ? `[${key}]` : `.${sanitizeForLog(key, 40)}`;
  }
  return out;
}

/** The first issue of a failed parse as a ConfigError (messages are written as "must be …" after the setting path). */
export function configError(setting: string, issues: readonly v.BaseIssue<unknown>[]): ConfigError {
  const issue = issues[0];
  return new ConfigError(settingPath(setting, issue?.path), issue?.message ?? "is invalid");
}

/**
 * Message of an object schema: "is required" for a missing field, "is not a known field" for an extra one (a typo such
 * as `namespace` for `namespaces` must not silently widen anything), "must be an object" otherwise.
 */
export function objectMessage(what: string, allowed: readonly string[]) {
  return (issue: v.BaseIssue<unknown>): string => {
    if (issue.path === undefined) return `must be an object (${what})`;
    return issue.expected === "never" ? `is not a known field; expected one of ${allowed.join(", ")}` : `is required (${what})`;
  };
}

/**
 * A JSON.parse error message without any of the input (a setting can hold a token). V8's "… JSON at position N"
 * messages are fixed text plus a position; its "Unexpected token 'x', "…" is not valid JSON" quotes the input.
 */
export function jsonErrorWithoutInput(m: string): string {
  if (/JSON at position \d+( \(line \d+ column \d+\))?$/.test(m))
    return m.replace(/^Unexpected token .*? in JSON/s, "Unexpected token in JSON");
  if (m === "Unexpected end of JSON input") return m;
  return "Unexpected token";
}

/** The first issue of a parse of the whole environment: the path starts with the setting's name. */
export function envConfigError(issues: readonly v.BaseIssue<unknown>[]): ConfigError {
  const issue = issues[0];
  const [first, ...rest] = issue?.path ?? [];
  return new ConfigError(settingPath(sanitizeForLog(first?.key ?? "configuration", 60), rest), issue?.message ?? "is invalid");
}
