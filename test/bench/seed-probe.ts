// Diagnostics for seeding speed (not part of `npm run bench`): seeds one scale on a fresh control plane and prints
// where the CPU went — this process, kube-apiserver, etcd — optionally with a 12 s CPU profile of kube-apiserver.
//   node dist/test/bench/seed-probe.js [scale=1000] [concurrency=48] [GOGC] ["extra apiserver flags"]
//   PROBE_PPROF=/tmp/cpu.pprof … ; go tool pprof -top <kube-apiserver binary> /tmp/cpu.pprof
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { startKubeEnv } from "../env/environment.js";
import { RawKube } from "./http.js";
import { seedCluster } from "./seed.js";
import { clusterModel } from "./workload.js";

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

const scale = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 48);
const gogc = process.argv[4];
const extraArgs = (process.argv[5] ?? "").split(" ").filter(Boolean);
const env = await startKubeEnv({ clusters: ["probe"], apiServer: { extraArgs, ...(gogc ? { env: { GOGC: gogc } } : {}) } });
const c = env.info.clusters[0]!;
const kube = new RawKube(c.url, c.caPem, c.tokens.admin, 64);
const model = clusterModel(scale);
const values = new Map(model.vaultObjects.map((o) => [o, { value: `${o}-v`, version: "0123456789abcdef0123456789abcdef" }]));
const apiPid = env.servers[0]!.proc.child.pid!;
const etcdPid = env.etcd.proc.child.pid!;
const a0 = cpuSeconds(apiPid);
const e0 = cpuSeconds(etcdPid);
const m0 = process.cpuUsage();
const profile = process.env.PROBE_PPROF
  ? new Promise<void>((resolve) =>
      setTimeout(() => {
        const u = new URL(c.url);
        request(
          {
            host: u.hostname,
            port: u.port,
            path: "/debug/pprof/profile?seconds=12",
            ca: c.caPem,
            headers: { Authorization: `Bearer ${c.tokens.admin}` },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (d: Buffer) => chunks.push(d));
            res.on("end", () => {
              writeFileSync(process.env.PROBE_PPROF!, Buffer.concat(chunks));
              resolve();
            });
          },
        ).end();
      }, 3000),
    )
  : undefined;
const r = await seedCluster(kube, model, values, concurrency);
await profile;
const m = process.cpuUsage(m0);
console.log(
  JSON.stringify({
    scale,
    concurrency,
    gogc,
    extraArgs,
    ...r,
    seederCpuS: (m.user + m.system) / 1e6,
    apiserverCpuS: cpuSeconds(apiPid) - a0,
    etcdCpuS: cpuSeconds(etcdPid) - e0,
  }),
);
kube.close();
await env.stop();
