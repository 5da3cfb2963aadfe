// A pipeline policy on every Key Vault request attempt (position perRetry: inside the SDK's retry loop) that
//  1. remembers Key Vault's answer to the last attempt of each read when it is an error (status, error codes,
//     Retry-After; not the 401 challenge to the SDK's token-less first request): the SDK drops the body
//     on some paths (paged listings keep only `error.code`; an empty-body answer makes its error deserializer throw a
//     TypeError), and the classification needs `innererror.code` on all of them;
//  2. stops a read at once when Key Vault asks to wait (429/503 Retry-After) past the read's deadline: the SDK would
//     sleep until the deadline aborts it; failing now hands the wait to whoever retries (Event Grid, the HTTP caller).
// Reads are identified by their AbortSignal (the SDK passes the caller's signal through to every attempt).
import type { AbortSignalLike } from "@azure/abort-controller";
import type { PipelinePolicy, PipelineResponse } from "@azure/core-rest-pipeline";
import { retryAfterSeconds } from "./failures.js";

/** Key Vault's answer to one failed attempt, without the body. */
export interface ErrorAnswer {
  status: number;
  code?: string;
  innerCode?: string;
  retryAfterSeconds?: number;
}

interface ReadState {
  deadline: number;
  last?: ErrorAnswer;
}

/** Reads under way, by their abort signal. */
export class ReadRegistry {
  private readonly reads = new WeakMap<AbortSignalLike, ReadState>();

  /** Starts a read: a signal that aborts at the deadline. */
  start(timeoutMs: number): AbortSignal {
    const signal = AbortSignal.timeout(timeoutMs);
    this.reads.set(signal, { deadline: Date.now() + timeoutMs });
    return signal;
  }

  lastAnswer(signal: AbortSignalLike): ErrorAnswer | undefined {
    return this.reads.get(signal)?.last;
  }

  /** @internal policy side */
  state(signal: AbortSignalLike | undefined): ReadState | undefined {
    return signal ? this.reads.get(signal) : undefined;
  }
}

/** Thrown by the policy instead of letting the SDK sleep past the read's deadline. */
export class RetryAfterBeyondDeadline extends Error {
  constructor(readonly answer: ErrorAnswer & { retryAfterSeconds: number }) {
    super(`Key Vault asked to retry after ${answer.retryAfterSeconds} s, beyond the read's deadline`);
    this.name = "RetryAfterBeyondDeadline";
  }
}

/** Key Vault's `{"error":{"code","message","innererror":{"code"}}}`, when the body is JSON of that shape. */
export function errorCodesOf(bodyText: string | null | undefined): { code?: string; innerCode?: string } {
  if (!bodyText) return {};
  try {
    const e = (JSON.parse(bodyText) as { error?: { code?: unknown; innererror?: { code?: unknown } } })?.error;
    return {
      ...(typeof e?.code === "string" ? { code: e.code } : {}),
      ...(typeof e?.innererror?.code === "string" ? { innerCode: e.innererror.code } : {}),
    };
  } catch {
    return {};
  }
}

function answerOf(r: PipelineResponse): ErrorAnswer {
  const wait = retryAfterSeconds((h) => r.headers.get(h), Date.now());
  return { status: r.status, ...errorCodesOf(r.bodyAsText), ...(wait !== undefined ? { retryAfterSeconds: wait } : {}) };
}

export function keyVaultReadPolicy(registry: ReadRegistry): PipelinePolicy {
  return {
    name: "kvrpKeyVaultReadPolicy",
    async sendRequest(request, next) {
      const read = registry.state(request.abortSignal);
      let response: PipelineResponse;
      try {
        response = await next(request);
      } catch (e) {
        if (read) delete read.last; // no answer to this attempt: an earlier one's must not speak for it
        throw e;
      }
      if (!read) return response;
      // Success, or the SDK's token-less first request (answered by the 401 challenge): not this read's failure.
      if (response.status < 400 || (response.status === 401 && !request.headers.has("authorization"))) {
        delete read.last;
        return response;
      }
      const a = answerOf(response);
      read.last = a;
      // Only the waits the SDK's throttling retry would honour (429 and 503 with Retry-After).
      if ((a.status === 429 || a.status === 503) && a.retryAfterSeconds !== undefined) {
        if (Date.now() + a.retryAfterSeconds * 1000 >= read.deadline)
          throw new RetryAfterBeyondDeadline({ ...a, retryAfterSeconds: a.retryAfterSeconds });
      }
      return response;
    },
  };
}
