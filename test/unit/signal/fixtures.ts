// Fixtures for the signal tests.
//
// MS_* payloads are Microsoft's published samples, quirks included ("ObjectName " with a trailing space, a Version
// with a leading space, NBF/EXP as quoted strings, the literal "{subscription-id}" placeholder), from
// MicrosoftDocs/azure-docs articles/event-grid/event-schema-key-vault.md:
//   - Event Grid and CloudEvents tabs: commit 05b33dddc9f09a0ce35f6b93b6f8d4adec6666e1 (ms.date 02/11/2021);
//   - the camelCase variant ("vaultName", "objectName ", "nbf", …): older revision 38285e00034d90cb3a13c7df18b71d67369b15cf
//     (ms.date 04/09/2020).
// The article publishes a sample for Microsoft.KeyVault.SecretNewVersionCreated only; the Certificate and Key samples
// below are that sample adapted (event type, ObjectType, Id collection, names), keeping every quirk.

import type { VaultConfig } from "../../../shared/model/index.js";

export const SAMPLE_RESOURCE_ID = "/subscriptions/{subscription-id}/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/sample-kv";
export const PROD_RESOURCE_ID =
  "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-prod";
export const EMU_RESOURCE_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.KeyVault/vaults/lowkey";

export const VAULTS: ReadonlyMap<string, VaultConfig> = new Map<string, VaultConfig>([
  [
    "sample-kv",
    {
      name: "sample-kv",
      resourceId: SAMPLE_RESOURCE_ID,
      url: "https://sample-kv.vault.azure.net",
    },
  ],
  [
    "kv-prod",
    {
      name: "kv-prod",
      resourceId: PROD_RESOURCE_ID,
      url: "https://kv-prod.vault.azure.net",
    },
  ],
  [
    "lowkey",
    {
      name: "lowkey",
      resourceId: EMU_RESOURCE_ID,
      url: "https://localhost:8443",
    },
  ],
]);

export const RECEIVED_AT = new Date("2026-05-01T12:00:00.000Z");
export const CTX = { vaults: VAULTS, receivedAt: RECEIVED_AT };

/** Verbatim: Event Grid schema sample (current article). */
export const MS_EG_SECRET_SAMPLE = [
  {
    id: "00eccf70-95a7-4e7c-8299-2eb17ee9ad64",
    topic: "/subscriptions/{subscription-id}/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/sample-kv",
    subject: "newsecret",
    eventType: "Microsoft.KeyVault.SecretNewVersionCreated",
    eventTime: "2019-07-25T01:08:33.1036736Z",
    data: {
      Id: "https://sample-kv.vault.azure.net/secrets/newsecret/ee059b2bb5bc48398a53b168c6cdcb10",
      VaultName: "sample-kv",
      ObjectType: "Secret",
      "ObjectName ": "newsecret",
      Version: " ee059b2bb5bc48398a53b168c6cdcb10",
      NBF: "1559081980",
      EXP: "1559082102",
    },
    dataVersion: "1",
    metadataVersion: "1",
  },
];

/** Verbatim: CloudEvents schema sample (current article; shown there wrapped in an array). */
export const MS_CE_SECRET_SAMPLE = [
  {
    id: "00eccf70-95a7-4e7c-8299-2eb17ee9ad64",
    source: "/subscriptions/{subscription-id}/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/sample-kv",
    subject: "newsecret",
    type: "Microsoft.KeyVault.SecretNewVersionCreated",
    time: "2019-07-25T01:08:33.1036736Z",
    data: {
      Id: "https://sample-kv.vault.azure.net/secrets/newsecret/ee059b2bb5bc48398a53b168c6cdcb10",
      VaultName: "sample-kv",
      ObjectType: "Secret",
      "ObjectName ": "newsecret",
      Version: " ee059b2bb5bc48398a53b168c6cdcb10",
      NBF: "1559081980",
      EXP: "1559082102",
    },
    specversion: "1.0",
  },
];

/** Verbatim: the 2020 revision's Event Grid sample, camelCase data keys (plus the same quirks). */
export const MS_EG_SECRET_SAMPLE_2020_CAMEL = [
  {
    id: "00eccf70-95a7-4e7c-8299-2eb17ee9ad64",
    topic: "/subscriptions/{subscription-id}/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/sample-kv",
    subject: "newsecret",
    eventType: "Microsoft.KeyVault.SecretNewVersionCreated",
    eventTime: "2019-07-25T01:08:33.1036736Z",
    data: {
      Id: "https://sample-kv.vault.azure.net/secrets/newsecret/ee059b2bb5bc48398a53b168c6cdcb10",
      vaultName: "sample-kv",
      objectType: "Secret",
      "objectName ": "newsecret",
      version: " ee059b2bb5bc48398a53b168c6cdcb10",
      nbf: "1559081980",
      exp: "1559082102",
    },
    dataVersion: "1",
    metadataVersion: "1",
  },
];

/** Adapted from the secret sample: CertificateNewVersionCreated (quirks kept). */
export const MS_EG_CERT_SAMPLE = [
  {
    id: "7d1b1f2a-5b6c-4c1d-9e0f-1a2b3c4d5e6f",
    topic: "/subscriptions/{subscription-id}/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/sample-kv",
    subject: "newcert",
    eventType: "Microsoft.KeyVault.CertificateNewVersionCreated",
    eventTime: "2019-07-25T01:08:33.1036736Z",
    data: {
      Id: "https://sample-kv.vault.azure.net/certificates/newcert/3c6d0b0bd0a94f3e8bd5bd0d58b1f8f2",
      VaultName: "sample-kv",
      ObjectType: "Certificate",
      "ObjectName ": "newcert",
      Version: " 3c6d0b0bd0a94f3e8bd5bd0d58b1f8f2",
      NBF: "1559081980",
      EXP: "1559082102",
    },
    dataVersion: "1",
    metadataVersion: "1",
  },
];

/** Adapted from the secret sample: KeyNewVersionCreated (quirks kept). */
export const MS_EG_KEY_SAMPLE = [
  {
    id: "a0c3e7a4-2f55-4f0e-9a57-7f64d3b0c2d1",
    topic: "/subscriptions/{subscription-id}/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/sample-kv",
    subject: "newkey",
    eventType: "Microsoft.KeyVault.KeyNewVersionCreated",
    eventTime: "2019-07-25T01:08:33.1036736Z",
    data: {
      Id: "https://sample-kv.vault.azure.net/keys/newkey/9f1e2d3c4b5a69788796a5b4c3d2e1f0",
      VaultName: "sample-kv",
      ObjectType: "Key",
      "ObjectName ": "newkey",
      Version: " 9f1e2d3c4b5a69788796a5b4c3d2e1f0",
      NBF: "1559081980",
      EXP: "1559082102",
    },
    dataVersion: "1",
    metadataVersion: "1",
  },
];

type Json = Record<string, unknown>;

/** Event Grid schema → CloudEvents 1.0 (topic→source, eventType→type, eventTime→time, +specversion). */
export function toCloudEvent(eg: Json): Json {
  const { topic, eventType, eventTime, dataVersion: _dv, metadataVersion: _mv, ...rest } = eg;
  return {
    ...rest,
    source: topic,
    type: eventType,
    time: eventTime,
    specversion: "1.0",
  };
}

/** A clean Event Grid event for vault kv-prod (PascalCase data), with overrides. */
export function egEvent(over: Json = {}, dataOver: Json = {}): Json {
  return {
    id: "6f1c2a0e-0000-4000-8000-000000000001",
    topic: PROD_RESOURCE_ID,
    subject: "db-password",
    eventType: "Microsoft.KeyVault.SecretNewVersionCreated",
    eventTime: "2026-05-01T10:15:30.1234567Z",
    data: {
      Id: "https://kv-prod.vault.azure.net/secrets/db-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      VaultName: "kv-prod",
      ObjectType: "Secret",
      ObjectName: "db-password",
      Version: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      NBF: null,
      EXP: 1798761600,
      ...dataOver,
    },
    dataVersion: "1",
    metadataVersion: "1",
    ...over,
  };
}

export function first<T>(a: readonly T[]): T {
  const v = a[0];
  if (v === undefined) throw new Error("empty fixture");
  return v;
}
