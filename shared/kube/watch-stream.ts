// A watch as the API server streams it — one long-lived GET, one JSON event per line — on the pusher's watch agent
// (token-authenticated clusters: the function app). Not client-node's Watch: loading client-node is 1.5 MB of the
// function app's 2.8 MB bundle, and a token-authenticated instance needs none of it (kubeconfig clients still use it).
import { request, type Agent } from "node:https";
import { createInterface } from "node:readline";
import type { WatchHandle } from "./backend.js";
import { KubeHttpError } from "./rest.js";

export interface WatchStreamOptions {
  server: string;
  agent: Agent;
  token: () => Promise<string>;
  /** Path and query without `watch=true`. */
  path: string;
  query: Record<string, string>;
}

/**
 * Streams `onEvent(type, object)` until the server ends the stream (`onDone(null)`), it fails (`onDone(err)`, the HTTP
 * status in `statusCode`) or it is aborted (then nothing more is called). Resolves once the server answered.
 */
export async function watchStream(
  o: WatchStreamOptions,
  onEvent: (type: string, object: unknown) => void,
  onDone: (err: unknown) => void,
): Promise<WatchHandle> {
  const base = new URL(o.server);
  const qs = new URLSearchParams({ ...o.query, watch: "true" });
  const controller = new AbortController();
  let done = false;
  const finish = (err: unknown) => {
    if (done) return;
    done = true;
    onDone(err);
    controller.abort();
  };
  const headers = { Authorization: `Bearer ${await o.token()}`, Accept: "application/json" };
  await new Promise<void>((answered) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port || 443,
        path: `${base.pathname.replace(/\/+$/, "")}${o.path}?${qs}`,
        agent: o.agent,
        headers,
        signal: controller.signal,
      },
      (res) => {
        answered();
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            let status: { reason?: string; message?: string } | undefined;
            try {
              status = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof status;
            } catch {
              status = undefined;
            }
            finish(new KubeHttpError(res.statusCode ?? 0, `watch ${o.path}`, status));
          });
          res.on("error", finish);
          return;
        }
        // A watch socket never keeps the process alive (the CLI, tests and scripts exit when their work is done).
        res.socket?.unref();
        const lines = createInterface({ input: res, crlfDelay: Infinity });
        lines.on("line", (line) => {
          if (done || !line) return;
          let e: { type?: string; object?: unknown };
          try {
            e = JSON.parse(line) as typeof e;
          } catch {
            return; // a torn line: the stream ends right after, and the reflector re-lists
          }
          if (e.type) onEvent(e.type, e.object);
        });
        // The readline interface re-emits the response's errors (a reset when the server goes away).
        lines.on("error", finish);
        res.on("error", finish);
        res.on("close", () => finish(res.complete ? null : new Error("watch stream cut off")));
      },
    );
    req.on("error", (e) => {
      answered();
      finish(e);
    });
    req.end();
  });
  return {
    abort: () => {
      done = true;
      controller.abort();
    },
  };
}
