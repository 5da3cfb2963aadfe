// Requests counted by "verb resource" at the client: the benchmark's and the tests' source of truth.
export class RequestStats {
  readonly counts = new Map<string, number>();
  /** Watch connections opened (long-lived, not per-event requests, so not in `counts`), in all and per resource. */
  watches = 0;
  readonly watchesByResource = new Map<string, number>();
  /** Watch events received (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR). */
  watchEvents = 0;
  /** Wire bytes read (TLS records, headers included) on request sockets / watch sockets; undefined when unknown (kubeconfig auth). */
  bytesRead: () => number | undefined = () => undefined;
  watchBytesRead: () => number | undefined = () => undefined;
  add(verb: string, resource: string): void {
    const k = `${verb} ${resource}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
  watchOpened(resource: string): void {
    this.watches++;
    this.watchesByResource.set(resource, (this.watchesByResource.get(resource) ?? 0) + 1);
  }
  total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort());
  }
  reset(): void {
    this.counts.clear();
  }
}
