// Locates what the SecretSync end-to-end tests need (see build-sync.sh): the provider API's proto and, when one can
// be had, the real sync controller binary (else the stand-in is used, with the reason).
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
const here = new URL(".", import.meta.url).pathname.replace(/\/dist\/test\/env\/secretsync\/?$/, "/test/env/secretsync");

export interface SyncAssets {
  /** provider/v1alpha1/service.proto of the Secrets Store CSI driver module. */
  providerProto: string;
  controller: { kind: "real"; bin: string } | { kind: "standin"; why: string };
}

let cached: Promise<SyncAssets> | undefined;

export function syncAssets(): Promise<SyncAssets> {
  cached ??= (async () => {
    try {
      const { stdout } = await exec("bash", [join(here, "build-sync.sh")], { timeout: 30 * 60 * 1000, maxBuffer: 16 * 1024 * 1024 });
      const line = (k: string) =>
        stdout
          .split("\n")
          .find((l) => l.startsWith(`${k} `))
          ?.slice(k.length + 1) ?? "";
      const c = line("controller");
      return {
        providerProto: line("proto"),
        controller: c.startsWith("real ") ? { kind: "real", bin: c.slice(5) } : { kind: "standin", why: c.replace(/^standin /, "") },
      };
    } catch (err) {
      cached = undefined;
      const e = err as { stderr?: string; message: string };
      throw new Error(`build-sync.sh failed: ${e.message}\n${(e.stderr ?? "").split("\n").slice(-20).join("\n")}`);
    }
  })();
  return cached;
}
