// A lean JSON-over-HTTPS client for seeding (admin token): keep-alive, no per-request (de)serialisation layers, so on
// 2 cores the API server and etcd get the CPU, not the seeder.
import { Agent, request } from "node:https";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

export class RawKube {
  private readonly agent: Agent;
  private readonly base: URL;
  constructor(
    server: string,
    caPem: string,
    private readonly token: string,
    maxSockets = 64,
  ) {
    this.base = new URL(server);
    this.agent = new Agent({ keepAlive: true, maxSockets, ca: caPem });
  }

  send(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: string }> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname,
          port: this.base.port,
          path,
          method,
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.token}`,
            Accept: "application/json",
            ...(data ? { "Content-Type": contentType, "Content-Length": data.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      if (data) req.write(data);
      req.end();
    });
  }

  /** POST that tolerates 409 (already exists: seeding is re-runnable). */
  async create(path: string, body: unknown): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.send("POST", path, body);
      if (r.status === 201 || r.status === 200 || r.status === 409) return;
      if ((r.status === 429 || r.status >= 500) && attempt < 8) {
        await new Promise((res) => setTimeout(res, 100 * 2 ** attempt));
        continue;
      }
      throw new HttpError(r.status, r.body, `POST ${path}`);
    }
  }

  async json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const r = await this.send(method, path, body, contentType);
    if (r.status >= 300) throw new HttpError(r.status, r.body, `${method} ${path}`);
    return JSON.parse(r.body) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs tasks with at most `n` in flight, reporting each completion. */
export async function pool<T>(items: T[], n: number, run: (t: T) => Promise<void>, done?: () => void): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const t = items[next++]!;
      try {
        await run(t);
      } catch (e) {
        failed ??= e;
      }
      done?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failed !== undefined) throw failed;
}
