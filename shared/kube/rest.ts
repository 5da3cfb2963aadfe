// The pusher's calls as plain JSON over HTTPS on its keep-alive agent (token-authenticated API servers: the function
// app). client-node's per-request layers (node-fetch, typed (de)serialisation of every object) cost the pusher more
// CPU than the API server spends on a small Secret: on the 2-core benchmark machine 10,000 Secret GETs (concurrency
// 8, same agent) took 7.2 s through them and 4.3 s as plain JSON — the timer's run at 10,000 SPCs is mostly those
// GETs. Watches stay on client-node's Watch.
import { request, type Agent } from "node:https";
import { createGunzip } from "node:zlib";

/** A non-2xx answer: `statusCode` as client-node's errors carry it (errors.ts reads it); the message is value-free. */
export class KubeHttpError extends Error {
  constructor(
    readonly statusCode: number,
    what: string,
    status: { reason?: string; message?: string } | undefined,
  ) {
    // Kubernetes Status messages name objects and rules, never data; cut to one short line anyway.
    super(
      `${what}: HTTP ${statusCode}${status?.reason ? ` ${status.reason}` : ""}${status?.message ? `: ${status.message.split("\n")[0]!.slice(0, 200)}` : ""}`,
    );
    this.name = "KubeHttpError";
  }
}

export interface RestOptions {
  /** Compressed answers (large lists: a tenth of the bytes over a real network). */
  gzip?: boolean;
  contentType?: string;
  /** The caller needs only the status: a successful answer's body (a whole pod, say) is drained, not parsed. */
  statusOnly?: boolean;
}

export class JsonRest {
  private readonly base: URL;
  constructor(
    server: string,
    private readonly agent: Agent,
    private readonly token: () => Promise<string>,
    private readonly timeoutMs: () => number,
  ) {
    this.base = new URL(server);
  }

  async send<T>(method: string, path: string, body?: unknown, o: RestOptions = {}): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {
      Authorization: `Bearer ${await this.token()}`,
      Accept: "application/json",
      ...(o.gzip ? { "Accept-Encoding": "gzip" } : {}),
      ...(payload ? { "Content-Type": o.contentType ?? "application/json", "Content-Length": payload.length } : {}),
    };
    const prefix = this.base.pathname.replace(/\/+$/, "");
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname,
          port: this.base.port || 443,
          path: `${prefix}${path}`,
          method,
          agent: this.agent,
          headers,
          // An API server that accepts the connection but never answers must fail this request (transient: redelivery).
          signal: AbortSignal.timeout(this.timeoutMs()),
        },
        (res) => {
          const stream = res.headers["content-encoding"] === "gzip" ? res.pipe(createGunzip()) : res;
          const status = res.statusCode ?? 0;
          const keep = !(o.statusOnly && status >= 200 && status < 300);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => keep && chunks.push(c));
          stream.on("error", reject);
          stream.on("end", () => {
            if (!keep) return resolve(undefined as T);
            const text = Buffer.concat(chunks).toString("utf8");
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            if (status >= 200 && status < 300) resolve(json as T);
            else reject(new KubeHttpError(status, `${method} ${path.split("?")[0]}`, json as { reason?: string; message?: string }));
          });
        },
      );
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
}
