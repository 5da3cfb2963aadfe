// Diagnostics (not part of `npm run bench`): where a large fan-out event's time goes. Seeds `scale` SPCs with
// `fanObjects` shared objects (SPCs per object ≈ 3 × scale / fanObjects), then runs warm fan-out events in this
// process with the V8 CPU profiler on, printing timings, this process's and kube-apiserver's CPU.
//   node dist/test/bench/event-probe.js [scale=2000] [fanObjects=50] [events=5] [concurrency=8]  (profile: /tmp/event-probe.cpuprofile)
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { handleDelivery } from "../../shared/entry/event-delivery.js";
import { closeRuntime } from "../../shared/pipeline/runtime.js";
import { startKubeEnv } from "../env/environment.js";
import { startKeyVaultEmulator } from "../env/keyvault-emulator.js";
import { createCa, issueServerCert } from "../env/tls.js";
import { localConfig, localRuntime } from "../support/local-runtime.js";
import { RawKube } from "./http.js";
import { seedCluster } from "./seed.js";
import { VAULT, clusterModel, fan } from "./workload.js";

const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};
const [scale, fanObjects, events, concurrency] = [2000, 50, 5, 8].map((d, i) => Number(process.argv[2 + i] ?? d)) as [
  number,
  number,
  number,
  number,
];
const RID = `/subscriptions/00000000-0000-0000-0000-0000000000b0/resourceGroups/rg-bench/providers/Microsoft.KeyVault/vaults/${VAULT}`;
const ca = createCa({ commonName: "probe" });
const tls = issueServerCert(ca, { dnsNames: ["localhost"], ips: ["127.0.0.1"] });
const emulator = await startKeyVaultEmulator({ vaults: [VAULT], tls: { cert: tls.certPem, key: tls.keyPem } });
const env = await startKubeEnv({ clusters: ["probe"] });
const c = env.info.clusters[0]!;
const model = clusterModel(scale, { fanObjects });
const values = new Map(model.vaultObjects.map((o) => [o, { value: `${o}-v0`, version: emulator.seedSecret(VAULT, o, `${o}-v0`).version }]));
const kube = new RawKube(c.url, c.caPem, c.tokens.admin, 64);
await seedCluster(kube, model, values, 48);
const rt = localRuntime(
  localConfig([c], new Map([[VAULT, { name: VAULT, resourceId: RID, url: emulator.urlFor(VAULT) }]]), {}, { concurrency }),
  ca.certPem,
);
const deliver = async (o: string) => {
  const v = emulator.seedSecret(VAULT, o, `${o}-${randomBytes(4).toString("hex")}`).version;
  const body = [
    {
      id: randomBytes(8).toString("hex"),
      topic: RID,
      subject: o,
      eventType: "Microsoft.KeyVault.SecretNewVersionCreated",
      eventTime: new Date().toISOString(),
      data: { VaultName: VAULT, ObjectType: "Secret", ObjectName: o, Version: v },
      dataVersion: "1",
      metadataVersion: "1",
    },
  ];
  const t0 = Date.now();
  const out = await handleDelivery(rt, body, { invocationId: "probe", log: () => {}, receivedAt: new Date(t0) });
  return {
    ms: Date.now() - t0,
    inventoryAndKvMs: out.report?.timings.receiptToVaultReadMs,
    secretsMs: out.report?.timings.receiptToSecretsMs,
    rolloutsMs: out.report?.timings.receiptToRolloutsMs,
  };
};
await deliver(fan(fanObjects - 1));
const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.start");
const api0 = cpuSeconds(env.servers[0]!.proc.child.pid!);
const me0 = process.cpuUsage();
const t0 = Date.now();
for (let i = 0; i < events; i++) console.log(JSON.stringify(await deliver(fan(i))));
const wall = (Date.now() - t0) / 1000;
const me = process.cpuUsage(me0);
const { profile } = await session.post("Profiler.stop");
writeFileSync("/tmp/event-probe.cpuprofile", JSON.stringify(profile));
console.log(
  JSON.stringify({
    wallS: wall,
    pusherCpuS: (me.user + me.system) / 1e6,
    apiserverCpuS: cpuSeconds(env.servers[0]!.proc.child.pid!) - api0,
    requests: rt.clusters[0]!.stats.total(),
  }),
);
closeRuntime(rt);
kube.close();
await emulator.close();
await env.stop();
