// Figures of one reliability test file, written as a JSON part that the summary global setup
// (test/reliability/summary.ts) adds up at the end of the run. Files run in separate workers, so parts go through
// a directory the global setup provides.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    reliabilityDir: string;
  }
}

export interface Figures {
  suite: string;
  durationMs: number;
  /** Event objects handed to the Event Grid entry point (every copy, every redelivery). */
  eventsDelivered: number;
  /** Extra copies of an event beyond its first delivery. */
  duplicates: number;
  /** Deliveries of an object's older version after a newer one had been delivered. */
  reorders: number;
  /** Invocations that failed and were delivered again (Event Grid's retry). */
  redeliveries: number;
  /** Simulated function instances (separate runtimes). */
  instances: number;
  faults: Record<string, number>;
  payloadsFuzzed: Record<string, number>;
  rejections: Record<string, number>;
  forgedRejected: number;
  crashes: number;
  unhandledRejections: number;
  lostRotations: number;
  duplicateRollouts: number;
  rollouts: number;
  leakedValues: number;
  valuesChecked: number;
  charsScanned: number;
  secretsCreated: number;
  secretsDeleted: number;
  secretsChecked: number;
  deniedRequests: number;
  notes: string[];
}

type Counter = Exclude<keyof Figures, "suite" | "faults" | "payloadsFuzzed" | "rejections" | "notes">;

export class Ledger {
  readonly f: Figures;
  private readonly t0 = Date.now();
  constructor(suite: string) {
    this.f = {
      suite,
      durationMs: 0,
      eventsDelivered: 0,
      duplicates: 0,
      reorders: 0,
      redeliveries: 0,
      instances: 0,
      faults: {},
      payloadsFuzzed: {},
      rejections: {},
      forgedRejected: 0,
      crashes: 0,
      unhandledRejections: 0,
      lostRotations: 0,
      duplicateRollouts: 0,
      rollouts: 0,
      leakedValues: 0,
      valuesChecked: 0,
      charsScanned: 0,
      secretsCreated: 0,
      secretsDeleted: 0,
      secretsChecked: 0,
      deniedRequests: 0,
      notes: [],
    };
  }
  add(k: Counter, n = 1): void {
    this.f[k] += n;
  }
  max(k: Counter, n: number): void {
    this.f[k] = Math.max(this.f[k], n);
  }
  fault(kind: string, n = 1): void {
    this.f.faults[kind] = (this.f.faults[kind] ?? 0) + n;
  }
  fuzzed(target: string, n = 1): void {
    this.f.payloadsFuzzed[target] = (this.f.payloadsFuzzed[target] ?? 0) + n;
  }
  rejected(target: string, n = 1): void {
    this.f.rejections[target] = (this.f.rejections[target] ?? 0) + n;
  }
  note(s: string): void {
    this.f.notes.push(s);
  }
  /** Writes this file's part (call from afterAll; also after a failed test, so the summary shows what ran). */
  flush(): void {
    this.f.durationMs = Date.now() - this.t0;
    const dir = inject("reliabilityDir");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${this.f.suite}.json`), JSON.stringify(this.f, null, 2));
  }
}
