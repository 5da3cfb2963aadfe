// How requests reach a token-authenticated API server: one keep-alive agent for requests (rest.ts puts a deadline on
// each), one for watches, and wire-byte counting for the benchmark.
import { Agent } from "node:https";
import type { Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

/** Wire bytes read on every socket an agent opens (closed sockets included). */
export function countBytes(agent: Agent, opts: { unref?: boolean } = {}): () => number {
  let closed = 0;
  const live = new Set<Socket>();
  const create = agent.createConnection.bind(agent) as (...a: unknown[]) => Socket;
  (agent as unknown as { createConnection: (...a: unknown[]) => Socket }).createConnection = (...args: unknown[]) => {
    const s = create(...args);
    if (s) {
      live.add(s);
      // A watch socket never keeps the process alive (the CLI, tests and scripts exit when their work is done).
      if (opts.unref) s.unref();
      s.once("close", () => {
        closed += s.bytesRead;
        live.delete(s);
      });
    }
    return s;
  };
  return () => {
    let n = closed;
    for (const s of live) n += s.bytesRead;
    return n;
  };
}

/** KubeConfig for client-node's Watch with the same bearer token as the requests, on a dedicated agent. */
export class TokenWatchConfig extends KubeConfig {
  constructor(
    private readonly server: string,
    private readonly agent: Agent,
    private readonly token: () => Promise<string>,
  ) {
    super();
  }
  override getCurrentCluster() {
    return { name: "pusher", server: this.server, skipTLSVerify: false };
  }
  override async applyToFetchOptions(): Promise<never> {
    return { agent: this.agent, headers: { Authorization: `Bearer ${await this.token()}` } } as never;
  }
}

export interface TokenTransport {
  requests: Agent;
  watches: Agent;
  watchConfig: KubeConfig;
  bytesRead: () => number;
  watchBytesRead: () => number;
}

export function tokenTransport(server: string, caPem: string | undefined, token: () => Promise<string>): TokenTransport {
  const requests = new Agent({ keepAlive: true, maxSockets: 64, ...(caPem ? { ca: caPem } : {}) });
  // Watches get their own agent: a long-lived stream must not hold one of the request pool's sockets (one per
  // watched resource: SPCs, SPCPS, the workload kinds, the CSIDriver).
  const watches = new Agent({ keepAlive: true, maxSockets: 16, ...(caPem ? { ca: caPem } : {}) });
  return {
    requests,
    watches,
    watchConfig: new TokenWatchConfig(server.replace(/\/+$/, ""), watches, token),
    bytesRead: countBytes(requests),
    watchBytesRead: countBytes(watches, { unref: true }),
  };
}
