// KVRP_CLUSTERS: how the function reaches each Kubernetes API server.
import * as v from "valibot";
import { DNS1123_LABEL_RULE, isDns1123Label } from "../names/kubernetes.js";
import { configError } from "./errors.js";
import { objectMessage } from "./errors.js";
import { jsonListSetting } from "./json-list.js";
import { SETTINGS } from "./settings.js";

/** How the function reaches one Kubernetes API server. */
export type ClusterAuth =
  | { type: "azure"; scope?: string } // Entra ID token of the managed identity (AKS AAD)
  | { type: "token"; token: string } // static bearer token (tests, break-glass)
  | { type: "kubeconfig"; path?: string; context?: string }; // local use

export interface ClusterConfig {
  name: string;
  /** API server URL; absent for kubeconfig auth (taken from the kubeconfig). */
  server?: string;
  /** PEM CA bundle of the API server (base64 of PEM accepted too, as in kubeconfigs). */
  caData?: string;
  auth: ClusterAuth;
}

const AUTH_TYPES = ["azure", "token", "kubeconfig"] as const;
const FIELDS = ["name", "server", "caData", "auth", "token", "kubeconfig", "context"] as const;
const SERVER = "must be the API server's https:// URL";
const NAME = `must be ${DNS1123_LABEL_RULE}`;

const cluster = v.pipe(
  v.strictObject(
    {
      name: v.pipe(
        v.string(NAME),
        v.check((s: string) => isDns1123Label(s), NAME),
      ),
      server: v.optional(v.pipe(v.string(SERVER), v.regex(/^https:\/\/[^\s/]+/, SERVER))),
      caData: v.optional(v.string("must be a string (PEM or base64 PEM)")),
      auth: v.optional(v.picklist(AUTH_TYPES, 'must be "azure", "token" or "kubeconfig"'), "azure"),
      token: v.optional(v.pipe(v.string('must be the bearer token (auth "token")'), v.nonEmpty('must not be empty when auth is "token"'))),
      kubeconfig: v.optional(v.string('must be a kubeconfig file path (auth "kubeconfig")')),
      context: v.optional(v.string('must be a kubeconfig context name (auth "kubeconfig")')),
    },
    objectMessage("a cluster {name, server, caData?, auth}", FIELDS),
  ),
  v.forward(
    v.partialCheck([["auth"], ["token"]], (c) => c.auth !== "token" || c.token !== undefined, 'is required when auth is "token"'),
    ["token"],
  ),
  v.forward(
    v.partialCheck([["auth"], ["server"]], (c) => c.auth === "kubeconfig" || c.server !== undefined, SERVER),
    ["server"],
  ),
  v.transform((c): ClusterConfig => {
    let auth: ClusterAuth;
    if (c.auth === "token") auth = { type: "token", token: c.token! };
    else if (c.auth === "kubeconfig")
      auth = {
        type: "kubeconfig",
        ...(c.kubeconfig !== undefined ? { path: c.kubeconfig } : {}),
        ...(c.context !== undefined ? { context: c.context } : {}),
      };
    else auth = { type: "azure" };
    return {
      name: c.name,
      ...(c.server !== undefined ? { server: c.server } : {}),
      ...(c.caData !== undefined ? { caData: c.caData } : {}),
      auth,
    };
  }),
);

export const clustersSetting = jsonListSetting({
  required: "a JSON array of clusters",
  example: SETTINGS.KVRP_CLUSTERS,
  noun: "cluster",
  item: cluster,
});

/** Parses KVRP_CLUSTERS (or another source named `setting`); throws ConfigError naming the setting and field. */
export function parseClusters(raw: string | undefined, setting = "KVRP_CLUSTERS"): ClusterConfig[] {
  const r = v.safeParse(clustersSetting, raw, { abortEarly: true });
  if (!r.success) throw configError(setting, r.issues);
  return r.output;
}
