// The upstream oracle processes (see test/oracle/build-oracle.sh): long-lived, one JSON case per stdin line, one
// JSON answer per stdout line, answered in order.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface OracleVersions {
  provider: string;
  providerGo: string;
  driver: string;
  driverGo: string;
}

/** Builds (or finds in the cache) the oracle binaries; fails loudly with the build log's tail. */
export function oracleDir(): string {
  try {
    return execFileSync("bash", ["test/oracle/build-oracle.sh"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 << 20,
    }).trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`building the upstream oracle failed: ${err.message}\n${(err.stderr ?? "").split("\n").slice(-40).join("\n")}`);
  }
}

export function oracleVersions(dir: string): OracleVersions | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "versions.json"), "utf8")) as OracleVersions;
  } catch {
    return undefined; // a KVRP_ORACLE_BIN directory may not say
  }
}

export class OracleProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = "";
  private exited: string | undefined;

  constructor(binary: string) {
    this.child = spawn(binary, [], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.child.on("exit", (code, signal) => {
      this.exited = `oracle ${binary} exited (${code ?? signal}): ${this.stderr}`;
      for (const w of this.waiting.splice(0)) w("");
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => this.waiting.shift()?.(line));
  }

  /** Sends every request at once and resolves with the answers in order. */
  async ask<T>(requests: readonly object[]): Promise<T[]> {
    const answers = requests.map(
      () =>
        new Promise<T>((resolve, reject) =>
          this.waiting.push((line) => (line ? resolve(JSON.parse(line) as T) : reject(new Error(this.exited ?? "oracle closed")))),
        ),
    );
    for (const r of requests) this.child.stdin.write(JSON.stringify(r) + "\n");
    return Promise.all(answers);
  }

  close(): void {
    this.child.stdin.end();
  }
}
