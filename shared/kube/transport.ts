// How requests reach a token-authenticated API server: one keep-alive agent for requests (rest.ts puts a deadline on
// each), one for watches, and wire-byte counting for the benchmark.
import { Agent } from "node:https";
import type { Socket } from "node:net";

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

export interface TokenTransport {
  requests: Agent;
  watches: Agent;
  bytesRead: () => number;
  watchBytesRead: () => number;
}

export function tokenTransport(caPem: string | undefined): TokenTransport {
  const requests = new Agent({ keepAlive: true, maxSockets: 64, ...(caPem ? { ca: caPem } : {}) });
  // Watches get their own agent: a long-lived stream must not hold one of the request pool's sockets (one per
  // watched resource: SPCs, SPCPS, the workload kinds, the CSIDriver).
  const watches = new Agent({ keepAlive: true, maxSockets: 16, ...(caPem ? { ca: caPem } : {}) });
  return {
    requests,
    watches,
    bytesRead: countBytes(requests),
    watchBytesRead: countBytes(watches, { unref: true }),
  };
}
