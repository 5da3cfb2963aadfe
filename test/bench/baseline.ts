// What the cluster would see without the pusher, under the Secrets Store CSI driver's documented model, computed
// for the same seeded cluster and the same events.
//
// v1.6+ with rotation: kubelet republishes each mount every 60–90 s (its volume-manager resync, jittered); the driver
// re-reads Key Vault on a republish only when --rotation-poll-interval (2 min) has elapsed since that mount's last
// read. With republish gaps T ~ U[60, 90] s, a gap < 120 s never passes the gate and two gaps (120–180 s) always do,
// so each mount reads Key Vault every X = T1 + T2 ∈ [120, 180] s (mean 150 s, 24 reads/hour). A new version written
// at a random time waits the residual of X: mean E[X²]/2E[X] = 75.5 s, worst 180 s. The synced Secret follows the
// first of the SPC's pods that re-reads (the v1.6 driver rebuilds it from a mount on each SPCPS change); env
// consumers never see it until restarted. Reloader restarts them once it *watches* the synced Secret change: its lag
// is the driver's plus the watch delivery (measured on this API server).
// Older drivers (rotation reconciler polling every 2 min): residual U[0, 120] s, mean 60 s, worst 120 s, 30 reads/hour.

export const POLL_S = 120;
export const REPUBLISH_MIN_S = 60;
export const REPUBLISH_MAX_S = 90;

/** Deterministic PRNG (mulberry32) so the baseline is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const V16 = {
  periodMinS: 2 * REPUBLISH_MIN_S,
  periodMaxS: 2 * REPUBLISH_MAX_S,
  meanPeriodS: REPUBLISH_MIN_S + REPUBLISH_MAX_S,
  /** E[X²] / 2E[X] for X = T1 + T2, T ~ U[a, b]: (E[X]² + Var X) / 2E[X], Var X = 2 (b − a)² / 12. */
  meanStalenessS:
    ((REPUBLISH_MIN_S + REPUBLISH_MAX_S) ** 2 + (2 * (REPUBLISH_MAX_S - REPUBLISH_MIN_S) ** 2) / 12) /
    (2 * (REPUBLISH_MIN_S + REPUBLISH_MAX_S)),
  worstStalenessS: 2 * REPUBLISH_MAX_S,
  readsPerMountPerHour: 3600 / (REPUBLISH_MIN_S + REPUBLISH_MAX_S),
};
export const POLLING = { meanStalenessS: POLL_S / 2, worstStalenessS: POLL_S, readsPerMountPerHour: 3600 / POLL_S };

/** A mount's wait from a random write until its next Key Vault read: the stationary residual of X (length-biased). */
function residual(r: () => number): number {
  for (;;) {
    const x = REPUBLISH_MIN_S + (REPUBLISH_MAX_S - REPUBLISH_MIN_S) * r() + REPUBLISH_MIN_S + (REPUBLISH_MAX_S - REPUBLISH_MIN_S) * r();
    if (r() * V16.periodMaxS <= x) return r() * x;
  }
}

export interface DriverEventStaleness {
  /** until every affected synced Secret holds the new version (each: its SPC's first pod to re-read) */
  secretsS: number;
  /** until every affected pod's mount holds it */
  podsS: number;
}

/** Monte Carlo of one event under the v1.6 model: `podsPerSpc[i]` pods mount the i-th affected SPC. */
export function simulateEvent(podsPerSpc: number[], seed: number): DriverEventStaleness {
  const r = rng(seed);
  let secretsS = 0;
  let podsS = 0;
  for (const n of podsPerSpc) {
    let first = Infinity;
    for (let p = 0; p < n; p++) {
      const w = residual(r);
      first = Math.min(first, w);
      podsS = Math.max(podsS, w);
    }
    secretsS = Math.max(secretsS, first);
  }
  return { secretsS, podsS };
}
