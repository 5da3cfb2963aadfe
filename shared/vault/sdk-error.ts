// What the @azure/keyvault-* SDKs tell about a failed request, as FailureFacts. The SDKs throw a RestError with
// `statusCode`, `code` (Key Vault's `error.code`) and, on single-object operations, `details.error.innerError.code`
// (their deserialised body); paged listings and empty bodies lose the inner code, so the read policy's last answer
// fills the gaps. Network failures carry no status and a Node error code.
import type { FailureFacts } from "./failures.js";
import { RetryAfterBeyondDeadline, type ErrorAnswer } from "./read-policy.js";

export interface ErrorFacts extends FailureFacts {
  retryAfterSeconds?: number;
  /** Key Vault's message (first line) or the SDK's; value-free. */
  message?: string;
  /** The message is Key Vault's own (from its error body), not the SDK's. */
  fromService?: boolean;
}

interface RestErrorLike {
  name?: string;
  message?: string;
  statusCode?: unknown;
  code?: unknown;
  details?: { error?: { code?: unknown; message?: unknown; innerError?: { code?: unknown } } };
  response?: { headers?: { get(name: string): string | undefined } };
  cause?: { code?: unknown };
}

/** First line, bounded: Key Vault's 403 messages continue with caller and vault details on further lines. */
function firstLine(s: string): string {
  const line = (s.split(/\r?\n/)[0] ?? "").trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

export function errorFacts(e: unknown, last: ErrorAnswer | undefined, opts: { deadline: boolean }): ErrorFacts {
  if (e instanceof RetryAfterBeyondDeadline) return { ...e.answer, message: e.message };
  const r = (e ?? {}) as RestErrorLike;
  if (opts.deadline) {
    // Abandoned at the deadline: no final answer, whatever the attempts before it said.
    return { deadline: true, ...(last ? { message: `last answer HTTP ${last.status}${last.code ? ` ${last.code}` : ""}` } : {}) };
  }
  const status = typeof r.statusCode === "number" ? r.statusCode : undefined;
  if (status === undefined && last === undefined) {
    const networkCode = str(r.code) ?? str(r.cause?.code);
    return { ...(networkCode ? { networkCode } : {}), message: firstLine(r.message ?? String(e)) };
  }
  // An answer arrived. Prefer what the SDK parsed, fall back on what the policy saw (same response).
  const facts: ErrorFacts = { status: status ?? last!.status };
  const code = str(r.details?.error?.code) ?? (status !== undefined ? str(r.code) : undefined) ?? last?.code;
  const innerCode = str(r.details?.error?.innerError?.code) ?? last?.innerCode;
  if (code) facts.code = code;
  if (innerCode) facts.innerCode = innerCode;
  const header = r.response?.headers;
  const wait = last?.retryAfterSeconds;
  if (wait !== undefined) facts.retryAfterSeconds = wait;
  else if (header) {
    const v = header.get("retry-after");
    if (v !== undefined && Number.isFinite(Number(v))) facts.retryAfterSeconds = Number(v);
  }
  const serviceMessage = str(r.details?.error?.message);
  const message = serviceMessage ?? (status !== undefined ? str(r.message) : undefined);
  if (message) facts.message = firstLine(message);
  if (serviceMessage) facts.fromService = true;
  return facts;
}
