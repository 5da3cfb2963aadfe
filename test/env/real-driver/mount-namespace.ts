// A private mount namespace for one test node: the driver's tmpfs mounts and the node's /etc/hosts live only
// there, so the machine's own mount table and name resolution never change.
//
// A holder process keeps the namespace alive (`unshare --mount --propagation private`, which execs the shell in
// place, so its pid is inside the namespace); it bind-mounts the node's hosts file over /etc/hosts and then waits,
// exiting by itself when the test process that started it is gone. The driver and provider enter it with
// `nsenter --mount` (their pids stay the real processes', so signals reach them), and survive each other's
// restarts because the holder, not they, keeps the mounts. Tests read inside through /proc/<holder>/root.
import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { startProcess, waitUntil, type ManagedProcess } from "../process.js";

export interface MountNamespace {
  pid: number;
  /** Starts a supervised process inside the namespace. */
  spawn(name: string, cmd: string, args: string[], opts: { logFile: string; env?: NodeJS.ProcessEnv }): ManagedProcess;
  /** The host path that shows `path` as the namespace sees it (tmpfs mounts included). */
  view(path: string): string;
  stop(): Promise<void>;
}

const HOLDER = [
  'mount --bind "$1" /etc/hosts || exit 1',
  "echo namespace-ready",
  // $PPID is the test process (unshare exec'd this shell in its place): leave when it has gone.
  'while kill -0 "$PPID" 2>/dev/null; do sleep 2; done',
].join("\n");

export async function startMountNamespace(opts: { dir: string; hosts: string }): Promise<MountNamespace> {
  const hostsPath = join(opts.dir, "hosts");
  writeFileSync(hostsPath, opts.hosts);
  const logFile = join(opts.dir, "namespace.log");
  const holder = startProcess(
    "mount namespace holder",
    "unshare",
    ["--mount", "--propagation", "private", "--", "sh", "-c", HOLDER, "sh", hostsPath],
    {
      logFile,
    },
  );
  const tail = async () => (await readFile(logFile, "utf8").catch(() => "(no log)")).split("\n").slice(-20).join("\n");
  await waitUntil(
    holder,
    "its private /etc/hosts",
    async () => (await readFile(logFile, "utf8")).includes("namespace-ready"),
    10_000,
    tail,
  );
  const pid = holder.child.pid!;
  return {
    pid,
    spawn: (name, cmd, args, o) => startProcess(name, "nsenter", [`--target=${pid}`, "--mount", "--", cmd, ...args], o),
    view: (path) => `/proc/${pid}/root${path.startsWith("/") ? path : `/${path}`}`,
    stop: () => holder.stop("SIGKILL"),
  };
}
