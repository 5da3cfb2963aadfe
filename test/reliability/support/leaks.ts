// Leak guard: every secret value a suite writes to Key Vault is registered here, every output the product produces
// (function logs, thrown errors, HTTP bodies, CLI stdout/stderr, Kubernetes Events) is captured here, and scan()
// reports any value — or its base64 — found in any of it.
import type { CoreV1Api } from "@kubernetes/client-node";
import type { LogSink } from "../../../shared/entry/log.js";

export interface LeakFinding {
  source: string;
  /** Which form leaked: the value itself or its base64 (never the value, so a failure message cannot leak it either). */
  form: "value" | "base64";
  valueIndex: number;
}

export class LeakGuard {
  private readonly values: string[] = [];
  private readonly texts: { source: string; text: string }[] = [];

  /** A value the product must never print (Key Vault secret values, rendered file bytes). */
  secret(value: string): string {
    if (value.length >= 8 && !this.values.includes(value)) this.values.push(value);
    return value;
  }

  capture(source: string, text: unknown): void {
    this.texts.push({ source, text: typeof text === "string" ? text : safeJson(text) });
  }

  /** A LogSink for handleDelivery & co. that captures every line. */
  sink(source: string, also?: (level: string, line: string) => void): LogSink {
    return (level, line) => {
      this.capture(source, line);
      also?.(level, line);
    };
  }

  /** An InvocationContext logHandler that captures every argument. */
  logHandler(source: string, also?: (line: string) => void): (level: string, ...args: unknown[]) => void {
    return (_level, ...args) => {
      const line = args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.name}: ${a.message}` : safeJson(a))).join(" ");
      this.capture(source, line);
      also?.(line);
    };
  }

  /** A thrown error as the Functions host would log it: message, and the report it carries. */
  error(source: string, e: unknown): void {
    const err = e as { name?: string; message?: string; stack?: string; report?: unknown };
    this.capture(source, `${err?.name}: ${err?.message}\n${err?.stack ?? ""}`);
    if (err?.report) this.capture(source, err.report);
  }

  /** Every Kubernetes Event in these namespaces (reason, message, the whole object). */
  async captureEvents(core: CoreV1Api, namespaces: string[], source = "kubernetes events"): Promise<number> {
    let n = 0;
    for (const namespace of namespaces) {
      const list = await core.listNamespacedEvent({ namespace });
      for (const e of list.items) this.capture(source, e);
      n += list.items.length;
    }
    return n;
  }

  get valueCount(): number {
    return this.values.length;
  }

  get charsCaptured(): number {
    return this.texts.reduce((n, t) => n + t.text.length, 0);
  }

  scan(): LeakFinding[] {
    const forms = this.values.map((v, i) => ({ i, value: v, b64: Buffer.from(v, "utf8").toString("base64") }));
    const out: LeakFinding[] = [];
    for (const t of this.texts)
      for (const f of forms) {
        if (t.text.includes(f.value)) out.push({ source: t.source, form: "value", valueIndex: f.i });
        if (t.text.includes(f.b64)) out.push({ source: t.source, form: "base64", valueIndex: f.i });
      }
    return out;
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
