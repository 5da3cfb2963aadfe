// `kv-rotation-pusher`: parse, help, then the command (execute.ts, imported on demand: the pipeline's SDKs take about
// a second to load, --help and usage errors should not wait for them).
// Output: stdout carries the result only (table, or JSON with --output json); errors, logs and progress go to stderr.
// Exit codes: 0 done; 1 failed (a cluster, Key Vault read or action failed, a transient failure, rejected events);
// 2 bad usage or configuration. Reports never hold a secret value, and nothing here prints one.
import { HELP, PROGRAM, parseCli, UsageError, type Command } from "./args.js";
import { EXIT_OK, EXIT_USAGE, type CliIo } from "./io.js";

/** Runs one command line; returns the exit code. Never throws. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseCli(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`${PROGRAM}: ${e.message}\nRun '${PROGRAM} ${e.command ? `${e.command} ` : ""}--help' for usage.\n`);
    return EXIT_USAGE;
  }
  if (cmd.command === "help") {
    io.stdout.write(HELP[cmd.topic ?? "main"] + "\n");
    return EXIT_OK;
  }
  const { runCommand } = await import("./execute.js");
  return runCommand(cmd, io);
}
