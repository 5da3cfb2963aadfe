// Objects Key Vault answered "not found" for (or whose newest version is disabled) are not read again by drift runs
// for a while: a tenant naming made-up objects costs one read per object per TTL, not one per run. Failures (403,
// 401, throttling) are never remembered: they are reported by every run until fixed, and the per-namespace budget
// bounds their reads. Events bypass the cache (a new version exists).
import type { UnavailableReason } from "../model/index.js";

export interface Remembered {
  reason: UnavailableReason;
  detail: string;
}

export class NegativeCache {
  private readonly entries = new Map<string, Remembered & { until: number }>();
  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly max = 100_000,
  ) {}

  remember(key: string, what: Remembered, now = Date.now()): void {
    this.entries.delete(key);
    this.entries.set(key, { ...what, until: now + this.ttlMs });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Why the object is known to be unusable, while that is fresh. */
  get(key: string, now = Date.now()): Remembered | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}
