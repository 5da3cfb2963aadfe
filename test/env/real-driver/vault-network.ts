// Makes `https://<vault>.vault.azure.net/` (the URL the Azure provider builds from `keyvaultName` and the public
// cloud's DNS suffix) reach the Key Vault emulator, on loopback only:
// - each vault gets its own loopback address 127.A.B.n (A.B random per node, so environments running side by side
//   on one machine do not collide) with a TCP forwarder on port 443 to that vault's emulator listener;
// - hostsFile() maps the names to those addresses; the node's private mount namespace bind-mounts it over
//   /etc/hosts (see mount-namespace.ts), so nothing changes for the rest of the machine.
// TLS passes through untouched: the emulator's certificate must name `<vault>.vault.azure.net`, trusted by the
// provider through SSL_CERT_FILE.
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";

export const KEY_VAULT_DNS_SUFFIX = "vault.azure.net";

export function vaultHostname(vault: string): string {
  return `${vault.toLowerCase()}.${KEY_VAULT_DNS_SUFFIX}`;
}

/** /etc/hosts for the node: the machine's own entries (localhost…) plus one line per vault. */
export function hostsFile(base: string, entries: { address: string; hostname: string }[]): string {
  const own = base
    .split("\n")
    .filter((l) => !entries.some((e) => new RegExp(`\\s${e.hostname.replaceAll(".", "\\.")}(\\s|$)`).test(l)))
    .join("\n")
    .trimEnd();
  return `${own}\n# kv-rotation-pusher test node: Key Vault names on loopback\n${entries.map((e) => `${e.address} ${e.hostname}`).join("\n")}\n`;
}

export interface VaultNetwork {
  /** Address each vault's name resolves to on the node. */
  addresses: Record<string, string>;
  hosts: string;
  /** Connections forwarded, by vault. */
  readonly connections: Record<string, number>;
  close(): Promise<void>;
}

/** targets: vault name → the emulator listener (host, port) serving it. */
export async function startVaultNetwork(targets: Record<string, { host: string; port: number }>): Promise<VaultNetwork> {
  const vaults = Object.keys(targets);
  for (let attempt = 0; ; attempt++) {
    const a = randomInt(16, 250);
    const b = randomInt(0, 256);
    const addresses = Object.fromEntries(vaults.map((v, i) => [v, `127.${a}.${b}.${i + 1}`]));
    try {
      return await listen(targets, addresses);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 5) throw e;
    }
  }
}

async function listen(targets: Record<string, { host: string; port: number }>, addresses: Record<string, string>): Promise<VaultNetwork> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const connections: Record<string, number> = {};
  const closeAll = () =>
    Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            for (const so of sockets) so.destroy();
            s.close(() => resolve());
          }),
      ),
    ).then(() => undefined);
  try {
    for (const [vault, address] of Object.entries(addresses)) {
      const target = targets[vault]!;
      const server = createServer((inbound) => {
        connections[vault] = (connections[vault] ?? 0) + 1;
        const outbound = connect(target.port, target.host);
        for (const s of [inbound, outbound]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => {
            inbound.destroy();
            outbound.destroy();
          });
        }
        inbound.pipe(outbound);
        outbound.pipe(inbound);
      });
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(443, address, () => {
          server.off("error", reject);
          resolve();
        });
      });
      servers.push(server);
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  const hosts = hostsFile(
    readFileSync("/etc/hosts", "utf8"),
    Object.entries(addresses).map(([v, address]) => ({ address, hostname: vaultHostname(v) })),
  );
  return { addresses, hosts, connections, close: closeAll };
}
