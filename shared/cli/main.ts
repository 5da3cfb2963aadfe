#!/usr/bin/env node
// `kv-rotation-pusher` (package bin → dist/shared/cli/main.js). See args.ts for the usage text, run.ts for behaviour.
import { run } from "./run.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

const code = await run(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr, readStdin });
// Let stdout drain (a pipe may be slow), then exit: open keep-alive sockets must not keep the process alive.
process.stdout.write("", () => process.exit(code));
