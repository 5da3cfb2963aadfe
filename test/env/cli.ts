// `npm run env:up` / `npm run env:down`: the same local environment the tests use, in the background, for people
// and scripts. Writes to .env-local/ (git-ignored):
//   kubeconfig   contexts `local-admin` (system:masters) and `local-pusher` (the pusher's restricted RBAC)
//   env.json     API server URL, tokens, vault URLs, CA file paths
//   kvrp.env     `export KVRP_…` lines for the CLI / func start against this environment
//   env.log      the background process's log
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const repoRoot = new URL(".", import.meta.url).pathname.replace(/\/(dist\/)?test\/env\/?$/, "");
export const ENV_DIR = process.env.KVRP_ENV_DIR ?? join(repoRoot, ".env-local");
const VAULTS = ["kv-alpha", "kv-beta"];
const SUB = "00000000-0000-0000-0000-000000000001";

async function serve(): Promise<void> {
  const { startKubeEnv } = await import("./environment.js");
  const { startKeyVaultEmulator } = await import("./keyvault-emulator.js");
  const { createCa, issueServerCert } = await import("./tls.js");
  const env = await startKubeEnv({ clusters: ["local"], dir: join(ENV_DIR, "state") });
  const ca = createCa({ commonName: "kv-rotation-pusher local vault CA" });
  const tls = issueServerCert(ca, {});
  const emulator = await startKeyVaultEmulator({
    vaults: VAULTS,
    tls: { cert: tls.certPem, key: tls.keyPem },
    stateFile: join(ENV_DIR, "vaults.json"),
  });
  const c = env.info.clusters[0]!;
  writeFileSync(join(ENV_DIR, "kube-ca.crt"), c.caPem);
  writeFileSync(join(ENV_DIR, "vault-ca.crt"), ca.certPem);
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "local", cluster: { server: c.url, "certificate-authority": join(ENV_DIR, "kube-ca.crt") } }],
    users: [
      { name: "admin", user: { token: c.tokens.admin } },
      { name: "pusher", user: { token: c.tokens.pusher } },
    ],
    contexts: [
      { name: "local-admin", context: { cluster: "local", user: "admin" } },
      { name: "local-pusher", context: { cluster: "local", user: "pusher" } },
    ],
    "current-context": "local-pusher",
  };
  writeFileSync(join(ENV_DIR, "kubeconfig"), JSON.stringify(kubeconfig, null, 2), { mode: 0o600 });
  const vaults = VAULTS.map((v) => ({
    name: v,
    resourceId: `/subscriptions/${SUB}/resourceGroups/rg-local/providers/Microsoft.KeyVault/vaults/${v}`,
    url: emulator.urlFor(v),
  }));
  const info = {
    apiServer: c.url,
    tokens: c.tokens,
    vaults,
    kubeCaFile: join(ENV_DIR, "kube-ca.crt"),
    vaultCaFile: join(ENV_DIR, "vault-ca.crt"),
    versions: env.info.versions,
    pid: process.pid,
  };
  writeFileSync(join(ENV_DIR, "env.json"), JSON.stringify(info, null, 2), { mode: 0o600 });
  const clusters = [{ name: "local", server: c.url, caData: c.caPem, auth: "token", token: c.tokens.pusher }];
  writeFileSync(
    join(ENV_DIR, "kvrp.env"),
    [
      `export KVRP_CLUSTERS='${JSON.stringify(clusters)}'`,
      `export KVRP_VAULTS='${JSON.stringify(vaults)}'`,
      `export KVRP_KEYVAULT_CA_FILE='${join(ENV_DIR, "vault-ca.crt")}'`,
      `export KVRP_KEYVAULT_STATIC_TOKEN=local-emulator`,
      `export KUBECONFIG='${join(ENV_DIR, "kubeconfig")}'`,
    ].join("\n") + "\n",
    { mode: 0o600 },
  );
  writeFileSync(join(ENV_DIR, "ready"), new Date().toISOString());
  const stop = async () => {
    await emulator.close();
    await env.stop();
    rmSync(join(ENV_DIR, "ready"), { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

async function up(): Promise<void> {
  mkdirSync(ENV_DIR, { recursive: true });
  if (existsSync(join(ENV_DIR, "ready"))) {
    console.log(`already up (see ${ENV_DIR}/env.json); run npm run env:down first`);
    return;
  }
  const log = openSync(join(ENV_DIR, "env.log"), "a");
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, "serve"], { detached: true, stdio: ["ignore", log, log] });
  writeFileSync(join(ENV_DIR, "pid"), String(child.pid));
  child.unref();
  const deadline = Date.now() + 45 * 60_000; // first run builds kube-apiserver
  while (!existsSync(join(ENV_DIR, "ready"))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(
        `environment did not start; see ${join(ENV_DIR, "env.log")}:\n${readFileSync(join(ENV_DIR, "env.log"), "utf8").split("\n").slice(-20).join("\n")}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
  const info = JSON.parse(readFileSync(join(ENV_DIR, "env.json"), "utf8")) as {
    apiServer: string;
    vaults: { name: string; url: string }[];
    versions: Record<string, string>;
  };
  console.log(`local environment up (kube-apiserver ${info.versions.kubeApiserver}, etcd ${info.versions.etcd})`);
  console.log(`  API server  ${info.apiServer}`);
  for (const v of info.vaults) console.log(`  vault       ${v.name} → ${v.url}`);
  console.log(`  kubeconfig  ${join(ENV_DIR, "kubeconfig")} (contexts local-pusher, local-admin)`);
  console.log(`  settings    source ${join(ENV_DIR, "kvrp.env")}`);
}

async function down(): Promise<void> {
  const pidFile = join(ENV_DIR, "pid");
  if (!existsSync(pidFile)) {
    console.log("not running");
    return;
  }
  const pid = Number(readFileSync(pidFile, "utf8"));
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    /* already gone */
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 200));
    } catch {
      break;
    }
  }
  rmSync(pidFile, { force: true });
  rmSync(join(ENV_DIR, "ready"), { force: true });
  console.log("local environment stopped");
}

const cmd = process.argv[2];
const run = cmd === "up" ? up : cmd === "down" ? down : cmd === "serve" ? serve : undefined;
if (!run) {
  console.error("usage: node dist/test/env/cli.js up|down");
  process.exit(2);
}
run().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
