// Kubernetes API failures → the model's failure kinds: transient ones make the trigger fail so Event Grid redelivers.
import { ClassifiedError, type Failure, type FailureKind } from "../model/index.js";

/** HTTP status (client-node ApiException, Azure RestError) or undefined for network errors. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.statusCode === "number") return e.statusCode;
  if (typeof e?.code === "number") return e.code;
  return undefined;
}

/** Network-level failures, throttling, conflicts and server errors are worth retrying; other 4xx are not. */
export function kubeFailureKind(err: unknown): FailureKind {
  if (err instanceof ClassifiedError) return err.failure.kind;
  const s = statusOf(err);
  if (s === undefined) return "transient"; // connection refused/reset, DNS, timeout, TLS
  return s === 408 || s === 409 || s === 429 || s >= 500 ? "transient" : "permanent";
}

/** A short, value-free description of an error: HTTP status, error code, first line of the message. */
export function describeError(err: unknown): string {
  if (err instanceof ClassifiedError) return err.failure.message;
  const s = statusOf(err);
  const e = err as { message?: string; code?: unknown; cause?: { code?: unknown; message?: string } };
  const code = typeof e?.code === "string" ? e.code : typeof e?.cause?.code === "string" ? e.cause.code : undefined;
  let msg = (e?.message ?? String(err)).split("\n")[0] ?? "";
  // client-node puts the whole response body in the message; keep the status line only.
  if (msg.length > 200) msg = msg.slice(0, 200) + "…";
  return [s !== undefined ? `HTTP ${s}` : undefined, code, msg].filter(Boolean).join(" ");
}

/** The failure an error from a Kubernetes call (or one already classified elsewhere) stands for. */
export function kubeFailure(err: unknown): Failure {
  if (err instanceof ClassifiedError) return err.failure;
  const kind = kubeFailureKind(err);
  const message = describeError(err);
  const s = statusOf(err);
  if (s === 403) return { kind, message, fix: "the pusher's identity lacks a permission: compare with infra/k8s/rbac.yaml" };
  if (s === 401) return { kind, message, fix: "the API server rejected the pusher's credential: check the cluster's auth setting" };
  return { kind, message };
}
