// What an operator gives the CLI to reach a test cluster: a kubeconfig with the pusher's restricted token.
import type { ClusterHandles } from "./world.js";

/** A kubeconfig (YAML) for cluster `c` as user "pusher"; `server` overrides the API server URL (e.g. a dead one). */
export function pusherKubeconfig(c: Pick<ClusterHandles, "info">, server = c.info.url): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: ${server}
    certificate-authority-data: ${Buffer.from(c.info.caPem).toString("base64")}
users:
- name: pusher
  user:
    token: ${c.info.tokens.pusher}
contexts:
- name: c1
  context: {cluster: c1, user: pusher}
current-context: c1
`;
}
