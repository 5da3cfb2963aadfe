// Failure classification: transient failures make the trigger fail (Event Grid redelivers); permanent ones are reported.

export class TransientError extends Error {
  readonly transient = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransientError";
  }
}

/** HTTP status (client-node ApiException, Azure RestError) or undefined for network errors. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.statusCode === "number") return e.statusCode;
  if (typeof e?.code === "number") return e.code;
  return undefined;
}

/** Network-level failures and throttling/server errors are worth retrying; 4xx other than 408/409/429 are not. */
export function isTransient(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  const s = statusOf(err);
  if (s === undefined) return true; // connection refused/reset, DNS, timeout, TLS
  return s === 408 || s === 409 || s === 429 || s >= 500;
}

/** A short, value-free description of an error for reports and logs. */
export function describe(err: unknown): string {
  const s = statusOf(err);
  const e = err as { message?: string; code?: unknown; cause?: { code?: unknown; message?: string } };
  const code = typeof e?.code === "string" ? e.code : typeof e?.cause?.code === "string" ? e.cause.code : undefined;
  let msg = (e?.message ?? String(err)).split("\n")[0] ?? "";
  // client-node puts the whole response body in the message; keep the status line only.
  if (msg.length > 200) msg = msg.slice(0, 200) + "…";
  return [s !== undefined ? `HTTP ${s}` : undefined, code, msg].filter(Boolean).join(" ");
}
