// Locates (or builds, first time) the real Secrets Store CSI driver and Azure provider; see build-csi.sh.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
const here = new URL(".", import.meta.url).pathname.replace(/\/dist\/test\/env\/real-driver\/?$/, "/test/env/real-driver");

export interface CsiAssets {
  dir: string;
  driverBin: string;
  /** The pre-requiresRepublish driver (v1.5.x: rotation reconciler, no republish), for the tests of that behaviour. */
  legacyDriverBin: string;
  providerBin: string;
  /** The CSI spec's csi.proto from the driver's module graph, for the kubelet stand-in's gRPC client. */
  csiProto: string;
  /** The driver's ClusterRoles as published with its version (config/rbac and config/rbac-syncsecret). */
  rbacFiles: string[];
  /** The legacy driver's ClusterRoles (config/rbac*, including token requests and rotation). */
  legacyRbacFiles: string[];
  versions: { driver: string; legacyDriver: string; provider: string };
  /** Time spent providing them (near 0 when cached). */
  seconds: number;
}

let cached: Promise<CsiAssets> | undefined;

export function csiAssets(): Promise<CsiAssets> {
  cached ??= locate();
  return cached;
}

async function locate(): Promise<CsiAssets> {
  const t0 = Date.now();
  let dir: string;
  try {
    const { stdout } = await exec("bash", [join(here, "build-csi.sh")], { maxBuffer: 64 * 1024 * 1024, timeout: 60 * 60 * 1000 });
    dir = stdout.trim().split("\n").pop() ?? "";
  } catch (err) {
    cached = undefined;
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `cannot provide the Secrets Store CSI driver and Azure provider (build-csi.sh failed; set KVRP_CSI_ASSETS to prebuilt ones): ${e.message}\n${(e.stderr ?? "").split("\n").slice(-30).join("\n")}`,
    );
  }
  const driverBin = join(dir, "secrets-store-csi-driver");
  const legacyDriverBin = join(dir, "secrets-store-csi-driver-legacy");
  const providerBin = join(dir, "csi-secrets-store-provider-azure");
  // Both print their version as JSON (-ldflags -X … BuildVersion set by build-csi.sh).
  const version = async (bin: string) => {
    const { stdout } = await exec(bin, ["--version"]);
    const v = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as { BuildVersion?: string; version?: string };
    return v.BuildVersion ?? v.version ?? "unknown";
  };
  return {
    dir,
    driverBin,
    legacyDriverBin,
    providerBin,
    csiProto: join(dir, "upstream", "csi.proto"),
    rbacFiles: [join(dir, "upstream", "rbac", "role.yaml"), join(dir, "upstream", "rbac-syncsecret", "role.yaml")],
    legacyRbacFiles: ["rbac", "rbac-syncsecret", "rbac-tokenrequest", "rbac-rotation"].map((r) =>
      join(dir, "upstream", "legacy", r, "role.yaml"),
    ),
    versions: { driver: await version(driverBin), legacyDriver: await version(legacyDriverBin), provider: await version(providerBin) },
    seconds: (Date.now() - t0) / 1000,
  };
}
