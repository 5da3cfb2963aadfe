// Objects Key Vault answered "not found" or "forbidden" for are not read again by drift runs for a while: a tenant
// naming made-up objects costs one read per object per TTL, not one per run. Events bypass it (a new version exists).
export class NegativeCache {
  private readonly entries = new Map<string, { until: number; detail: string }>();
  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly max = 100_000,
  ) {}

  remember(key: string, detail: string, now = Date.now()): void {
    this.entries.delete(key);
    this.entries.set(key, { until: now + this.ttlMs, detail });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Why the object is known to be unreadable, while that is fresh. */
  get(key: string, now = Date.now()): string | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.detail;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
