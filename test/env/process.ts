import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";

/** A child process whose output goes to a log file, so a failed start can say why. */
export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

export function startProcess(
  name: string,
  cmd: string,
  args: string[],
  opts: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv; detached?: boolean },
): ManagedProcess {
  const log: WriteStream = createWriteStream(opts.logFile, { flags: "a" });
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: opts.detached ?? false,
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", (err) => {
      log.write(`\n[spawn error] ${err.message}\n`);
      resolve(-1);
    });
    child.on("exit", (code) => resolve(code));
  });
  return {
    name,
    child,
    logFile: opts.logFile,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
}

/** Polls `check` until it returns true; fails with the component's log tail if the process dies or time runs out. */
export async function waitUntil(
  proc: ManagedProcess,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  tail: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let died = false;
  void proc.exited.then(() => (died = true));
  for (;;) {
    if (died) throw new Error(`${proc.name} exited before ${what}. Last log lines (${proc.logFile}):\n${await tail()}`);
    try {
      if (await check()) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline)
      throw new Error(`${proc.name}: ${what} not reached within ${timeoutMs} ms. Last log lines (${proc.logFile}):\n${await tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
