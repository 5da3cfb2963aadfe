// Static checks of the Terraform in infra/: parsed with @cdktf/hcl2json (no providers needed), then the wiring that
// matters for kv-rotation-pusher is asserted: endpoint, event types, delivery policy, Flex plan, roles, settings.
import { INTEGER_SETTINGS, SETTINGS } from "../../../shared/config/config.js";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  EVENT_FUNCTION_FILE,
  EVENT_FUNCTION_NAME,
  HOST_APP_SETTING_NAMES,
  INFRA_DIR,
  KEY_VAULT_EVENT_TYPES,
  KVRP_APP_SETTING_NAMES,
  LOCAL_SETTINGS_SAMPLE_FILE,
  allLocals,
  loadRequiredPermissions,
  loadTerraform,
  nestedBlock,
  resourceBlock,
  resourcesOfType,
  type TerraformJson,
} from "./helpers.js";

/** Built-in roles the configuration may assign (least privilege; see infra/README.md "Role assignments"). */
const ALLOWED_BUILT_IN_ROLES = new Set([
  "Key Vault Secrets User",
  "Key Vault Certificate User",
  "Azure Kubernetes Service Cluster User Role",
  "Storage Blob Data Owner",
  "Storage Blob Data Contributor",
  "EventGrid Data Sender",
]);

/** API groups that are built into Kubernetes; everything else is a CRD and maps to customresources/* in Azure RBAC. */
const BUILT_IN_API_GROUPS = new Set(["", "apps", "events.k8s.io", "storage.k8s.io"]);

/** Kubernetes verb → Azure RBAC data-action verb (Azure RBAC for Kubernetes folds verbs this way). */
function azureVerb(verb: string): string {
  switch (verb) {
    case "get":
    case "list":
    case "watch":
      return "read";
    case "create":
    case "update":
    case "patch":
      return "write";
    case "delete":
    case "deletecollection":
      return "delete";
    default:
      throw new Error(`unmapped verb ${verb}`);
  }
}

let tf: TerraformJson;
let files: Record<string, string>;
let locals: Record<string, unknown>;
let readme: string;

beforeAll(async () => {
  ({ json: tf, files } = await loadTerraform());
  locals = allLocals(tf);
  readme = readFileSync(join(INFRA_DIR, "README.md"), "utf8");
});

describe("infra/ parses", () => {
  it("has the expected files and blocks", () => {
    expect(Object.keys(files).sort()).toEqual(["main.tf", "outputs.tf", "variables.tf", "versions.tf"]);
    expect(Object.keys(tf.variable ?? {}).length).toBeGreaterThan(10);
    expect(Object.keys(tf.output ?? {}).length).toBeGreaterThan(5);
  });

  it("pins azurerm ~> 4.x and uses no other provider", () => {
    const required =
      tf.terraform?.flatMap((t) => (t.required_providers as Array<Record<string, { source: string; version: string }>>) ?? []) ?? [];
    const providers = Object.assign({}, ...required) as Record<string, { source: string; version: string }>;
    expect(Object.keys(providers)).toEqual(["azurerm"]);
    expect(providers.azurerm?.source).toBe("hashicorp/azurerm");
    expect(providers.azurerm?.version).toMatch(/^~> 4\.\d+$/);
  });
});

describe("Event Grid subscription per vault", () => {
  it("has one system topic per vault on Microsoft.KeyVault.vaults", () => {
    const topic = resourceBlock(tf, "azurerm_eventgrid_system_topic", "vault");
    expect(topic.for_each).toBe("${local.vaults}");
    expect(topic.topic_type).toBe("Microsoft.KeyVault.vaults");
    expect(topic.source_resource_id).toBe("${data.azurerm_key_vault.vault[each.key].id}");
    expect(topic.location).toBe("${data.azurerm_key_vault.vault[each.key].location}");
    expect(nestedBlock(topic, "identity").type).toBe("SystemAssigned");
    expect(resourcesOfType(tf, "azurerm_eventgrid_system_topic")).toHaveLength(1);
  });

  it("delivers to the onKeyVaultEvent function, one event per batch", () => {
    const sub = resourceBlock(tf, "azurerm_eventgrid_system_topic_event_subscription", "vault");
    expect(sub.for_each).toBe("${var.create_event_subscriptions ? local.vaults : {}}");
    expect(sub.system_topic).toBe("${azurerm_eventgrid_system_topic.vault[each.key].name}");
    const endpoint = nestedBlock(sub, "azure_function_endpoint");
    expect(endpoint.function_id).toBe(`\${azurerm_function_app_flex_consumption.this.id}/functions/${EVENT_FUNCTION_NAME}`);
    expect(endpoint.max_events_per_batch).toBe(1);
    // No other endpoint kind on the same subscription.
    for (const other of [
      "webhook_endpoint",
      "storage_queue_endpoint",
      "eventhub_id",
      "service_bus_queue_id",
      "service_bus_topic_id",
      "hybrid_connection_id",
    ]) {
      expect(sub[other], other).toBeUndefined();
    }
    expect(locals.event_function_name).toBe(EVENT_FUNCTION_NAME);
  });

  it("uses the function name that functions/onKeyVaultEvent.ts registers", () => {
    if (existsSync(EVENT_FUNCTION_FILE)) {
      const source = readFileSync(EVENT_FUNCTION_FILE, "utf8");
      // app.eventGrid("onKeyVaultEvent", …) or app.eventGrid<T>("onKeyVaultEvent", …), possibly through a constant.
      const direct = new RegExp(`app\\.eventGrid(?:<[^>]*>)?\\(\\s*["'\`]${EVENT_FUNCTION_NAME}["'\`]`).test(source);
      // …or app.eventGrid(NAME, …) with `const NAME = "onKeyVaultEvent"` in the same file.
      const constant = /app\.eventGrid(?:<[^>]*>)?\(\s*([A-Za-z_$][\w$]*)\s*,/.exec(source)?.[1];
      const viaConstant =
        constant !== undefined &&
        new RegExp(`const\\s+${constant}\\s*(?::\\s*string\\s*)?=\\s*["'\`]${EVENT_FUNCTION_NAME}["'\`]`).test(source);
      expect(direct || viaConstant, `functions/onKeyVaultEvent.ts must register app.eventGrid("${EVENT_FUNCTION_NAME}", …)`).toBe(true);
    } else {
      expect(existsSync(EVENT_FUNCTION_FILE)).toBe(false);
      expect(EVENT_FUNCTION_NAME).toBe("onKeyVaultEvent");
    }
  });

  it("includes exactly the NewVersionCreated, NearExpiry and Expired event types", () => {
    const sub = resourceBlock(tf, "azurerm_eventgrid_system_topic_event_subscription", "vault");
    const types = sub.included_event_types as string[];
    expect(types).toHaveLength(KEY_VAULT_EVENT_TYPES.length);
    expect([...types].sort()).toEqual([...KEY_VAULT_EVENT_TYPES].sort());
  });

  it("uses the Event Grid schema", () => {
    const sub = resourceBlock(tf, "azurerm_eventgrid_system_topic_event_subscription", "vault");
    expect(sub.event_delivery_schema).toBe("EventGridSchema");
  });

  it("retries 30 times over 24 hours", () => {
    const sub = resourceBlock(tf, "azurerm_eventgrid_system_topic_event_subscription", "vault");
    const retry = nestedBlock(sub, "retry_policy");
    expect(retry.max_delivery_attempts).toBe(30);
    expect(retry.event_time_to_live).toBe(1440);
  });

  it("dead-letters into the deadletter container of the function's storage account, with the topic's identity", () => {
    const sub = resourceBlock(tf, "azurerm_eventgrid_system_topic_event_subscription", "vault");
    const dl = nestedBlock(sub, "storage_blob_dead_letter_destination");
    expect(dl.storage_account_id).toBe("${azurerm_storage_account.this.id}");
    expect(dl.storage_blob_container_name).toBe("${azurerm_storage_container.deadletter.name}");
    expect(nestedBlock(sub, "dead_letter_identity").type).toBe("SystemAssigned");
    expect(sub.depends_on).toEqual(["${azurerm_role_assignment.deadletter_writer}"]);

    const container = resourceBlock(tf, "azurerm_storage_container", "deadletter");
    expect(container.name).toBe("${local.deadletter_container_name}");
    expect(locals.deadletter_container_name).toBe("deadletter");
    expect(container.storage_account_id).toBe("${azurerm_storage_account.this.id}");

    const writer = resourceBlock(tf, "azurerm_role_assignment", "deadletter_writer");
    expect(writer.role_definition_name).toBe("Storage Blob Data Contributor");
    expect(writer.scope).toBe(
      "${azurerm_storage_account.this.id}/blobServices/default/containers/${azurerm_storage_container.deadletter.name}",
    );
    expect(writer.principal_id).toBe("${azurerm_eventgrid_system_topic.vault[each.key].identity[0].principal_id}");
  });
});

describe("function app", () => {
  it("runs on a Flex Consumption (FC1, Linux) plan", () => {
    const plan = resourceBlock(tf, "azurerm_service_plan", "this");
    expect(plan.sku_name).toBe("FC1");
    expect(plan.os_type).toBe("Linux");
    const fn = resourceBlock(tf, "azurerm_function_app_flex_consumption", "this");
    expect(fn.service_plan_id).toBe("${azurerm_service_plan.this.id}");
    for (const legacy of ["azurerm_linux_function_app", "azurerm_windows_function_app", "azurerm_function_app"]) {
      expect(resourcesOfType(tf, legacy), legacy).toHaveLength(0);
    }
  });

  it("uses the Node.js 22 runtime", () => {
    const fn = resourceBlock(tf, "azurerm_function_app_flex_consumption", "this");
    expect(fn.runtime_name).toBe("node");
    expect(fn.runtime_version).toBe("22");
  });

  it("has a system-assigned identity, plus the optional user-assigned one", () => {
    const fn = resourceBlock(tf, "azurerm_function_app_flex_consumption", "this");
    const identity = nestedBlock(fn, "identity");
    expect(identity.type).toBe('${local.uami_enabled ? "SystemAssigned, UserAssigned" : "SystemAssigned"}');
    expect(identity.identity_ids).toBe("${local.uami_enabled ? [var.user_assigned_identity.id] : null}");
  });

  it("deploys from the app-package container with identity auth", () => {
    const fn = resourceBlock(tf, "azurerm_function_app_flex_consumption", "this");
    expect(fn.storage_container_type).toBe("blobContainer");
    expect(fn.storage_container_endpoint).toBe(
      "${azurerm_storage_account.this.primary_blob_endpoint}${azurerm_storage_container.deployment.name}",
    );
    expect(fn.storage_authentication_type).toBe('${local.uami_enabled ? "UserAssignedIdentity" : "SystemAssignedIdentity"}');
    expect(fn.storage_access_key).toBeUndefined();
    const account = resourceBlock(tf, "azurerm_storage_account", "this");
    expect(account.shared_access_key_enabled).toBe(false);
  });

  it("sends telemetry to Application Insights backed by Log Analytics", () => {
    const fn = resourceBlock(tf, "azurerm_function_app_flex_consumption", "this");
    expect(nestedBlock(fn, "site_config").application_insights_connection_string).toBe(
      "${azurerm_application_insights.this.connection_string}",
    );
    expect(resourceBlock(tf, "azurerm_application_insights", "this").workspace_id).toBe("${azurerm_log_analytics_workspace.this.id}");
  });

  it("supports VNet integration and private DNS zone links for private API servers", () => {
    const fn = resourceBlock(tf, "azurerm_function_app_flex_consumption", "this");
    expect(fn.virtual_network_subnet_id).toBe("${var.vnet_integration_subnet_id}");
    const link = resourceBlock(tf, "azurerm_private_dns_zone_virtual_network_link", "aks");
    expect(link.virtual_network_id).toBe("${local.integration_vnet_id}");
    expect(link.registration_enabled).toBe(false);
  });
});

describe("app settings", () => {
  const kvrpKeys = (): string[] => Object.keys(locals.kvrp_app_settings_all as Record<string, unknown>).sort();

  it("writes exactly the KVRP_* settings of the shared list", () => {
    expect(kvrpKeys()).toEqual([...KVRP_APP_SETTING_NAMES].sort());
    expect(kvrpKeys().every((k) => k.startsWith("KVRP_"))).toBe(true);
  });

  it("agrees with the config module and local.settings.sample.json (Terraform omits only emulator-only settings)", () => {
    const sample = JSON.parse(readFileSync(LOCAL_SETTINGS_SAMPLE_FILE, "utf8")) as { Values?: Record<string, unknown> };
    const sampleKvrp = Object.keys(sample.Values ?? {})
      .filter((k) => k.startsWith("KVRP_"))
      .sort();
    expect(sampleKvrp).toEqual(Object.keys(SETTINGS).sort());
    const emulatorOnly = ["KVRP_KEYVAULT_API_VERSION"];
    expect([...KVRP_APP_SETTING_NAMES].sort()).toEqual(
      Object.keys(SETTINGS)
        .filter((k) => !emulatorOnly.includes(k))
        .sort(),
    );
  });

  it("feeds every setting into the function app", () => {
    const fn = resourceBlock(tf, "azurerm_function_app_flex_consumption", "this");
    expect(fn.app_settings).toBe("${local.app_settings}");
    const merged = locals.app_settings as string;
    expect(merged).toContain("local.host_settings_all");
    expect(merged).toContain("local.kvrp_app_settings_all");
  });

  it("uses identity-based host storage and Application Insights", () => {
    const host = locals.host_settings_all as Record<string, string>;
    expect(host.AzureWebJobsStorage__accountName).toBe("${azurerm_storage_account.this.name}");
    expect(host.AzureWebJobsStorage__credential).toBe("managedidentity");
    expect(host.AzureWebJobsStorage).toBe("");
    for (const name of HOST_APP_SETTING_NAMES) {
      const inHost = name in host;
      const viaSiteConfig =
        name === "APPLICATIONINSIGHTS_CONNECTION_STRING" && files["main.tf"]?.includes("application_insights_connection_string");
      expect(inHost || viaSiteConfig, name).toBe(true);
    }
  });

  it("builds KVRP_VAULTS and KVRP_CLUSTERS with jsonencode from the data sources", () => {
    const settings = locals.kvrp_app_settings_all as Record<string, string>;
    expect(settings.KVRP_VAULTS).toBe("${local.kvrp_vaults_json}");
    expect(settings.KVRP_CLUSTERS).toBe("${local.kvrp_clusters_json}");
    const vaults = locals.kvrp_vaults_json as string;
    expect(vaults).toMatch(/^\$\{jsonencode\(/);
    expect(vaults).toContain("data.azurerm_key_vault.vault");
    for (const field of ["name", "resourceId = v.id", "url        = v.vault_uri"]) expect(vaults).toContain(field);
    // The vault → namespace binding is passed through only when set (absent = every namespace).
    expect(vaults).toContain("namespaces = local.vaults[k].namespaces");
    expect(vaults).toContain("if nv != null");
    const clusters = locals.kvrp_clusters_json as string;
    expect(clusters).toMatch(/^\$\{jsonencode\(/);
    expect(clusters).toContain("data.azurerm_kubernetes_cluster.aks");
    expect(clusters).toContain("c.kube_config[0].host");
    expect(clusters).toContain("caData = try(c.kube_config[0].cluster_ca_certificate");
    expect(clusters).toContain('auth   = "azure"');
  });

  it("defaults match the function's documented defaults", () => {
    const def = (name: string): unknown => tf.variable?.[name]?.[0]?.default;
    expect(def("reconcile_schedule")).toBe("0 */5 * * * *");
    expect(def("concurrency")).toBe(8);
    expect(def("drift_grace_seconds")).toBe(180);
    expect(def("namespace_read_budget")).toBe(INTEGER_SETTINGS.KVRP_NAMESPACE_READ_BUDGET.default);
    expect(def("proof_versions")).toBe(INTEGER_SETTINGS.KVRP_PROOF_VERSIONS.default);
    expect(def("digest_key")).toBeNull();
    expect(tf.variable?.digest_key?.[0]?.sensitive).toBe(true);
    expect(def("restart_policy")).toBe("env");
    expect(def("mount_refresh")).toBe("nudge");
    expect(def("dry_run")).toBe(false);
  });
});

describe("role assignments", () => {
  it("assign only allow-listed built-in roles, or this configuration's own AKS role", () => {
    const assignments = resourcesOfType(tf, "azurerm_role_assignment");
    expect(assignments.length).toBeGreaterThan(0);
    for (const [name, block] of assignments) {
      if (typeof block.role_definition_name === "string") {
        expect(ALLOWED_BUILT_IN_ROLES.has(block.role_definition_name), `${name}: ${block.role_definition_name}`).toBe(true);
        expect(block.role_definition_id, name).toBeUndefined();
      } else {
        expect(block.role_definition_id, name).toBe("${azurerm_role_definition.aks_pusher[0].role_definition_resource_id}");
      }
    }
  });

  it("grant Key Vault Secrets User on every vault and Certificate User only where certificates or keys are read", () => {
    const secrets = resourceBlock(tf, "azurerm_role_assignment", "kv_secrets_user");
    expect(secrets.role_definition_name).toBe("Key Vault Secrets User");
    expect(secrets.for_each).toBe("${local.vaults}");
    expect(secrets.scope).toBe("${data.azurerm_key_vault.vault[each.key].id}");
    const certs = resourceBlock(tf, "azurerm_role_assignment", "kv_certificate_user");
    expect(certs.role_definition_name).toBe("Key Vault Certificate User");
    expect(certs.for_each).toBe("${local.vaults_reading_certificates_or_keys}");
    expect(locals.vaults_reading_certificates_or_keys).toBe("${{ for k, v in local.vaults : k => v if v.use_certificates || v.use_keys }}");
  });

  it("grant the AKS Cluster User Role per cluster", () => {
    const user = resourceBlock(tf, "azurerm_role_assignment", "aks_cluster_user");
    expect(user.role_definition_name).toBe("Azure Kubernetes Service Cluster User Role");
    expect(user.scope).toBe("${data.azurerm_kubernetes_cluster.aks[each.key].id}");
  });

  it("give every identity assignment to the function's principal", () => {
    for (const [name, block] of resourcesOfType(tf, "azurerm_role_assignment")) {
      if (name === "deadletter_writer") continue; // the system topic's identity
      expect(block.principal_id, name).toBe("${local.principal_id}");
      expect(block.principal_type, name).toBe("ServicePrincipal");
    }
  });

  it("define the AKS custom role as exactly the data actions of required-permissions.json", () => {
    const role = resourceBlock(tf, "azurerm_role_definition", "aks_pusher");
    const permissions = nestedBlock(role, "permissions");
    expect(permissions.actions).toEqual([]);
    const dataActions = permissions.data_actions as string[];
    expect(
      dataActions.every((a) => !a.includes("*")),
      "no wildcards",
    ).toBe(true);

    const expected = new Set<string>();
    for (const p of loadRequiredPermissions()) {
      for (const verb of p.verbs) {
        const path = BUILT_IN_API_GROUPS.has(p.apiGroup)
          ? p.apiGroup === ""
            ? p.resource
            : `${p.apiGroup}/${p.resource}`
          : "customresources";
        expected.add(`Microsoft.ContainerService/managedClusters/${path}/${azureVerb(verb)}`);
      }
    }
    expect([...dataActions].sort()).toEqual([...expected].sort());
    expect(dataActions).toHaveLength(expected.size);
  });

  it("narrow custom-resource access with an ABAC condition to the CRDs the pusher uses", () => {
    const assignment = resourceBlock(tf, "azurerm_role_assignment", "aks_pusher");
    expect(assignment.for_each).toBe("${local.azure_rbac_clusters}");
    expect(assignment.condition_version).toBe("2.0");
    const condition = assignment.condition as string;
    const [readPart, writePart] = condition.split(/\)\s*AND\s*\(\s*\(\s*!\(ActionMatches\{'[^']*customresources\/write'\}\)/);
    expect(writePart, "condition has a write clause").toBeDefined();
    expect(readPart).toContain("ActionMatches{'Microsoft.ContainerService/managedClusters/customresources/read'}");
    for (const p of loadRequiredPermissions().filter((x) => !BUILT_IN_API_GROUPS.has(x.apiGroup))) {
      const group = `customResources:group] StringEqualsIgnoreCase '${p.apiGroup}'`;
      const kind = `customResources:kind] StringEqualsIgnoreCase '${p.resource}'`;
      const reads = p.verbs.some((v) => azureVerb(v) === "read");
      const writes = p.verbs.some((v) => azureVerb(v) === "write");
      expect(readPart?.includes(group) && readPart.includes(kind), `${p.apiGroup}/${p.resource} readable`).toBe(reads);
      expect(writePart?.includes(group) && writePart.includes(kind), `${p.apiGroup}/${p.resource} writable`).toBe(writes);
    }
  });
});

describe("documentation", () => {
  it("describes every variable, and infra/README.md documents it", () => {
    for (const [name, blocks] of Object.entries(tf.variable ?? {})) {
      const description = blocks[0]?.description;
      expect(typeof description === "string" && description.trim().length > 0, `variable ${name} has a description`).toBe(true);
      expect(readme.includes(`\`${name}\``), `README mentions variable ${name}`).toBe(true);
    }
  });

  it("describes every output, and infra/README.md documents it", () => {
    for (const [name, blocks] of Object.entries(tf.output ?? {})) {
      const description = blocks[0]?.description;
      expect(typeof description === "string" && description.trim().length > 0, `output ${name} has a description`).toBe(true);
      expect(readme.includes(`\`${name}\``), `README mentions output ${name}`).toBe(true);
    }
  });

  it("outputs what the walkthrough needs", () => {
    for (const name of [
      "function_app_name",
      "function_app_id",
      "principal_id",
      "kubernetes_rbac_object_id",
      "event_subscription_ids",
      "deadletter_container_url",
    ]) {
      expect(tf.output?.[name], name).toBeDefined();
    }
  });
});
