// A real kube-apiserver + etcd (envtest-style: no controllers, no kubelet) on loopback, TLS + RBAC + token users.
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { request } from "node:https";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { freePort } from "./ports.js";
import { startProcess, waitUntil, type ManagedProcess } from "./process.js";

const here = new URL(".", import.meta.url).pathname;
/** Manifests live in the source tree (test/env/manifests), also when running from dist/. */
export const manifestsDir = join(here.replace(/\/dist\/test\/env\/?$/, "/test/env"), "manifests");

export interface ServerTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * Token users of every API server: admin (system:masters), the pusher's restricted identity, a user with no rights, and
 * a tenant (group "tenants") that tests bind to one namespace's rights.
 */
export interface Tokens {
  admin: string;
  pusher: string;
  nobody: string;
  tenant: string;
}

export interface Etcd {
  url: string;
  readonly proc: ManagedProcess;
  stop(): Promise<void>;
  /** Starts it again on the same ports and data directory (for outage tests). */
  restart(): Promise<void>;
}

export interface ApiServer {
  name: string;
  url: string;
  port: number;
  caPem: string;
  tokens: Tokens;
  proc: ManagedProcess;
  stop(): Promise<void>;
  /** Starts it again on the same port and etcd prefix (for outage tests). */
  restart(): Promise<void>;
}

/**
 * Locates (or builds, first time) kube-apiserver + etcd; see build-binaries.sh. Its progress (stderr: what is built,
 * modules and packages counted, elapsed and expected time, the cache path) is shown as it comes, so a first run is
 * not silent for minutes; stdout carries only the directory.
 */
export async function binaries(): Promise<{ dir: string; seconds: number }> {
  const script = join(here.replace(/\/dist\/test\/env\/?$/, "/test/env"), "build-binaries.sh");
  const t0 = Date.now();
  const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "pipe"], timeout: 60 * 60 * 1000 });
  let stdout = "";
  const tail: string[] = [];
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
  child.stderr.on("data", (b: Buffer) => {
    process.stderr.write(b);
    tail.push(...b.toString("utf8").split("\n"));
    tail.splice(0, Math.max(0, tail.length - 30));
  });
  const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`cannot provide kube-apiserver/etcd: build-binaries.sh exited ${code ?? signal}\n${tail.join("\n")}`);
  return { dir: stdout.trim().split("\n").pop() ?? "", seconds: (Date.now() - t0) / 1000 };
}

function tailOf(file: string, lines = 30): () => Promise<string> {
  return async () => {
    try {
      return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };
}

export async function startEtcd(binDir: string, dir: string): Promise<Etcd> {
  mkdirSync(dir, { recursive: true });
  const client = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${client}`;
  const start = () =>
    startProcess(
      "etcd",
      join(binDir, "etcd"),
      [
        `--data-dir=${join(dir, "data")}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=default=http://127.0.0.1:${peer}`,
        "--unsafe-no-fsync=true",
        "--quota-backend-bytes=8589934592",
        "--log-level=warn",
      ],
      { logFile: join(dir, "etcd.log") },
    );
  const wait = (p: ManagedProcess) =>
    waitUntil(
      p,
      "health",
      async () => {
        const r = await fetch(`${url}/health`);
        return r.ok;
      },
      30_000,
      tailOf(join(dir, "etcd.log")),
    );
  let proc = start();
  await wait(proc);
  return {
    url,
    get proc() {
      return proc;
    },
    stop: () => proc.stop(),
    async restart() {
      await proc.stop();
      proc = start();
      await wait(proc);
    },
  };
}

export function newTokens(): Tokens {
  const t = () => randomBytes(24).toString("hex");
  return { admin: t(), pusher: t(), nobody: t(), tenant: t() };
}

/** HTTPS GET with the given CA (TLS verification stays on). */
export function httpsGet(url: string, caPem: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: caPem, headers: token ? { Authorization: `Bearer ${token}` } : {}, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

export async function startApiServer(opts: {
  name: string;
  binDir: string;
  dir: string;
  etcdUrl: string;
  tls: ServerTls;
  tokens: Tokens;
  /** Extra flags and environment (the benchmark tunes GC and flow control for bulk seeding). */
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}): Promise<ApiServer> {
  const dir = opts.dir;
  mkdirSync(join(dir, "certs"), { recursive: true });
  writeFileSync(join(dir, "ca.crt"), opts.tls.caPem);
  writeFileSync(join(dir, "apiserver.crt"), opts.tls.certPem);
  writeFileSync(join(dir, "apiserver.key"), opts.tls.keyPem, { mode: 0o600 });
  const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(join(dir, "sa.key"), sa.privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
  writeFileSync(join(dir, "sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));
  const t = opts.tokens;
  writeFileSync(
    join(dir, "tokens.csv"),
    [
      `${t.admin},admin,uid-admin,"system:masters"`,
      `${t.pusher},kv-rotation-pusher,uid-pusher,"kv-rotation-pusher"`,
      `${t.nobody},nobody,uid-nobody,"nobody"`,
      `${t.tenant},tenant,uid-tenant,"tenants"`,
    ].join("\n") + "\n",
    { mode: 0o600 },
  );
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const logFile = join(dir, "kube-apiserver.log");
  const args = [
    `--etcd-servers=${opts.etcdUrl}`,
    `--etcd-prefix=/registry-${opts.name}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    "--advertise-address=127.0.0.1",
    `--cert-dir=${join(dir, "certs")}`,
    `--tls-cert-file=${join(dir, "apiserver.crt")}`,
    `--tls-private-key-file=${join(dir, "apiserver.key")}`,
    `--client-ca-file=${join(dir, "ca.crt")}`,
    `--token-auth-file=${join(dir, "tokens.csv")}`,
    "--authorization-mode=RBAC",
    `--service-account-issuer=${url}`,
    `--service-account-key-file=${join(dir, "sa.pub")}`,
    `--service-account-signing-key-file=${join(dir, "sa.key")}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--disable-admission-plugins=ServiceAccount",
    "--allow-privileged=true",
    "--endpoint-reconciler-type=none",
    // Bench seeding sends bursts; the defaults (400/200 in flight) are fine for 2 cores.
    "--max-requests-inflight=800",
    "--v=0",
    ...(opts.extraArgs ?? []),
  ];
  const start = () =>
    startProcess(`kube-apiserver(${opts.name})`, join(opts.binDir, "kube-apiserver"), args, {
      logFile,
      ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
    });
  const wait = (p: ManagedProcess) =>
    waitUntil(p, "/readyz", async () => (await httpsGet(`${url}/readyz`, opts.tls.caPem)).status === 200, 90_000, tailOf(logFile));
  let proc = start();
  await wait(proc);
  const server: ApiServer = {
    name: opts.name,
    url,
    port,
    caPem: opts.tls.caPem,
    tokens: opts.tokens,
    get proc() {
      return proc;
    },
    stop: () => proc.stop(),
    async restart() {
      await proc.stop();
      proc = start();
      await wait(proc);
    },
  };
  return server;
}

/** Reads a multi-document manifest from test/env/manifests. */
export function loadManifests(file: string): Record<string, unknown>[] {
  const text = readFileSync(join(manifestsDir, file), "utf8");
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null);
}
