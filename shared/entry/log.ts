// Structured, value-free log lines. The Functions adapters pass context.log; the CLI passes stderr.
export type Level = "info" | "warn" | "error";
export type LogSink = (level: Level, line: string) => void;

export function logJson(sink: LogSink, level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  sink(level, JSON.stringify({ msg, ...fields }));
}

/** The Functions host's logger as a sink (type-only import: the core stays host-independent). */
export function contextLog(context: { info(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void }): LogSink {
  return (level, line) => (level === "error" ? context.error(line) : level === "warn" ? context.warn(line) : context.info(line));
}
