// Property tests: the parsers never throw on hostile input, never act on a vault outside the allow-list, and every
// rejection explains itself in a bounded, log-safe string.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signalKey } from "../../../shared/signal/dedupe.js";
import { parseDelivery, type DeliveryEntry } from "../../../shared/signal/delivery.js";
import { MAX_REASON_LENGTH, parseKeyVaultEvent, type ParsedEvent } from "../../../shared/signal/keyvault-event.js";
import { isValidObjectName } from "../../../shared/names/keyvault.js";
import { isDns1123Label } from "../../../shared/names/kubernetes.js";
import {
  MAX_MESSAGE_LENGTH,
  parseRotateQuery,
  parseRotateRequest,
  type RotateRequestResult,
} from "../../../shared/signal/rotate-request.js";
import type { VaultConfig } from "../../../shared/model/index.js";
import { CTX, EMU_RESOURCE_ID, PROD_RESOURCE_ID, SAMPLE_RESOURCE_ID, VAULTS } from "./fixtures.js";

const RUNS = 2500;
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/;

function rawTopic(raw: unknown): unknown {
  if (typeof raw !== "object" || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  return "specversion" in o ? o["source"] : o["topic"];
}

/** The invariants every parsed entry must satisfy, given the allow-list in force. */
function checkEntry(e: DeliveryEntry | ParsedEvent, vaults: ReadonlyMap<string, VaultConfig>, raw?: unknown): void {
  switch (e.kind) {
    case "signal": {
      const cfg = vaults.get(e.signal.vault);
      expect(cfg, `signal for vault ${e.signal.vault} outside the allow-list`).toBeDefined();
      if (raw !== undefined) expect(String(rawTopic(raw)).toLowerCase()).toBe(cfg!.resourceId.toLowerCase());
      expect(e.signal.vault).toBe(e.signal.vault.toLowerCase());
      expect(isValidObjectName(e.signal.objectName)).toBe(true);
      expect(["secret", "certificate", "key"]).toContain(e.signal.objectType);
      if (e.signal.version !== undefined) expect(e.signal.version).toMatch(/^[0-9a-zA-Z]{1,64}$/);
      expect(new Date(e.signal.eventTime).toISOString()).toBe(e.signal.eventTime);
      break;
    }
    case "rejected":
      expect(e.reason.length).toBeGreaterThan(0);
      expect(e.reason.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
      expect(e.reason).not.toMatch(UNSAFE);
      if (e.eventId !== undefined) expect(e.eventId).not.toMatch(UNSAFE);
      break;
    case "ignored":
      expect(e.meaning.length).toBeGreaterThan(0);
      expect(e.eventType).toMatch(/^Microsoft\.KeyVault\./);
      break;
    case "duplicate":
      break;
  }
}

// ---- a generator of near-valid Key Vault events (so that deep code paths are reached) ----
const SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
const vaultName = fc.oneof(
  fc.constantFrom("kv-prod", "KV-Prod", "sample-kv", "lowkey", "kv-other", "kv--prod", "../kv", "a"),
  fc.string({ maxLength: 30 }),
);
const topic = fc.oneof(
  fc.constantFrom(PROD_RESOURCE_ID, PROD_RESOURCE_ID.toUpperCase(), SAMPLE_RESOURCE_ID, EMU_RESOURCE_ID),
  vaultName.map((n) => `/subscriptions/${SUB}/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/${n}`),
  fc
    .tuple(fc.constantFrom(SUB, "evil"), fc.constantFrom("rg-secrets", "RG-SECRETS", "rg"), vaultName)
    .map(([s, g, n]) => `/subscriptions/${s}/resourceGroups/${g}/providers/Microsoft.KeyVault/vaults/${n}`),
  fc.string({ maxLength: 200 }),
  fc.anything(),
);
const objectName = fc.oneof(
  fc.constantFrom("db-password", "DB-PASSWORD", "newsecret", "../x", "a/b", "a\nb", "", "x".repeat(128)),
  fc.stringMatching(/^[0-9a-zA-Z-]{1,20}$/),
  fc.string({ maxLength: 40 }),
);
const eventType = fc.oneof(
  fc.constantFrom(
    "Microsoft.KeyVault.SecretNewVersionCreated",
    "Microsoft.KeyVault.CertificateNewVersionCreated",
    "Microsoft.KeyVault.KeyNewVersionCreated",
    "microsoft.keyvault.secretnewversioncreated",
    "Microsoft.KeyVault.SecretNearExpiry",
    "Microsoft.KeyVault.VaultAccessPolicyChanged",
    "Microsoft.KeyVault.Other",
    "Microsoft.EventGrid.SubscriptionValidationEvent",
    "Microsoft.Storage.BlobCreated",
  ),
  fc.string({ maxLength: 60 }),
);
const version = fc.oneof(
  fc.constant("0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
  fc.stringMatching(/^[0-9a-f]{0,40}$/),
  fc.string(),
  fc.constant(null),
  fc.anything(),
);
const idUrl = fc.oneof(
  fc
    .tuple(vaultName, fc.constantFrom("secrets", "certificates", "keys", "x"), objectName, fc.stringMatching(/^[0-9a-f]{0,34}$/))
    .map(([v, c, n, ver]) => `https://${v}.vault.azure.net/${c}/${n}/${ver}`),
  fc.webUrl(),
  fc.anything(),
);
const dataKey = (k: string) => fc.constantFrom(k, k.toLowerCase(), `${k} `, k[0]!.toLowerCase() + k.slice(1));
const data = fc
  .tuple(
    fc.record(
      {
        Id: idUrl,
        VaultName: fc.oneof(vaultName, fc.anything()),
        ObjectType: fc.oneof(fc.constantFrom("Secret", "Certificate", "Key", "secret", "bogus"), fc.anything()),
        ObjectName: fc.oneof(objectName, fc.anything()),
        Version: version,
        NBF: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.anything()),
        EXP: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
      },
      { requiredKeys: [] },
    ),
    fc.tuple(
      dataKey("Id"),
      dataKey("VaultName"),
      dataKey("ObjectType"),
      dataKey("ObjectName"),
      dataKey("Version"),
      dataKey("NBF"),
      dataKey("EXP"),
    ),
  )
  .map(([rec, keys]) => {
    const out: Record<string, unknown> = {};
    const canon = ["Id", "VaultName", "ObjectType", "ObjectName", "Version", "NBF", "EXP"] as const;
    canon.forEach((k, i) => {
      if (k in rec) out[keys[i]!] = rec[k];
    });
    return out;
  });
const eventGridEvent = fc.record(
  {
    id: fc.oneof(fc.uuid(), fc.string({ maxLength: 300 }), fc.anything()),
    topic,
    subject: fc.oneof(objectName, fc.anything()),
    eventType,
    eventTime: fc.oneof(
      fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? "x" : d.toISOString())),
      fc.string(),
      fc.anything(),
    ),
    data: fc.oneof({ weight: 5, arbitrary: data }, { weight: 1, arbitrary: fc.anything() }),
    dataVersion: fc.oneof(fc.constant("1"), fc.anything()),
    metadataVersion: fc.constant("1"),
  },
  { requiredKeys: ["eventType"] },
);
const cloudEvent = fc.record(
  {
    specversion: fc.oneof({ weight: 5, arbitrary: fc.constant("1.0") }, { weight: 1, arbitrary: fc.anything() }),
    id: fc.oneof(fc.uuid(), fc.string()),
    source: topic,
    subject: fc.oneof(objectName, fc.anything()),
    type: eventType,
    time: fc.oneof(fc.string(), fc.anything()),
    data: fc.oneof({ weight: 5, arbitrary: data }, { weight: 1, arbitrary: fc.anything() }),
  },
  { requiredKeys: ["specversion"] },
);

/** A valid event for an allow-listed vault (either schema), then 0–3 random mutations of envelope or data fields. */
const COLLECTIONS = {
  secret: "secrets",
  certificate: "certificates",
  key: "keys",
} as const;
const TYPES = {
  secret: "Secret",
  certificate: "Certificate",
  key: "Key",
} as const;
const validEvent = fc
  .record({
    cfg: fc.constantFrom(...VAULTS.values()),
    name: fc.stringMatching(/^[0-9a-zA-Z-]{1,20}$/),
    kind: fc.constantFrom("secret", "certificate", "key") as fc.Arbitrary<"secret" | "certificate" | "key">,
    version: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.constant(null)),
    cloud: fc.boolean(),
    upper: fc.boolean(),
  })
  .map(({ cfg, name, kind, version, cloud, upper }) => {
    const host = cfg.name === "lowkey" ? "https://localhost:8443" : `https://${cfg.name}.vault.azure.net`;
    const src = upper ? cfg.resourceId.toUpperCase() : cfg.resourceId;
    const type = `Microsoft.KeyVault.${TYPES[kind]}NewVersionCreated`;
    const data = {
      Id: `${host}/${COLLECTIONS[kind]}/${name}${version ? `/${version}` : ""}`,
      VaultName: upper ? cfg.name.toUpperCase() : cfg.name,
      ObjectType: TYPES[kind],
      ObjectName: name,
      Version: version,
      NBF: null,
      EXP: 1798761600,
    };
    const common = {
      id: "11111111-2222-4333-8444-555555555555",
      subject: name,
      data,
    };
    return cloud
      ? {
          ...common,
          specversion: "1.0",
          source: src,
          type,
          time: "2026-05-01T10:15:30Z",
        }
      : {
          ...common,
          topic: src,
          eventType: type,
          eventTime: "2026-05-01T10:15:30Z",
          dataVersion: "1",
          metadataVersion: "1",
        };
  });
const mutationValue = fc.oneof(topic, vaultName, objectName, eventType, version, idUrl, fc.anything(), fc.constant(undefined));
const envelopeKey = fc.constantFrom(
  "id",
  "topic",
  "source",
  "subject",
  "eventType",
  "type",
  "eventTime",
  "time",
  "data",
  "specversion",
  "dataVersion",
);
const dataKeyName = fc.constantFrom("Id", "VaultName", "ObjectType", "ObjectName", "Version", "NBF", "EXP", "objectName ", "vaultName");
const mutation = fc.oneof(
  fc.tuple(fc.constant("envelope" as const), envelopeKey, mutationValue),
  fc.tuple(fc.constant("data" as const), dataKeyName, mutationValue),
);
const mutatedEvent = fc.tuple(validEvent, fc.array(mutation, { maxLength: 3 })).map(([ev, muts]) => {
  const out: Record<string, unknown> = { ...ev, data: { ...ev.data } };
  for (const [where, key, value] of muts) {
    const target = where === "envelope" ? out : out["data"];
    if (typeof target === "object" && target !== null) (target as Record<string, unknown>)[key] = value;
  }
  return out;
});
const kvEvent = fc.oneof(
  { weight: 3, arbitrary: mutatedEvent },
  { weight: 1, arbitrary: eventGridEvent },
  { weight: 1, arbitrary: cloudEvent },
);

describe("parseDelivery / parseKeyVaultEvent properties", () => {
  it("never throws on arbitrary JSON values; all entries satisfy the invariants", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const out = parseDelivery(body, CTX);
        for (const e of out) checkEntry(e, VAULTS);
      }),
      { numRuns: RUNS },
    );
  });

  it("never throws on arbitrary values (fc.anything), single or batched", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.array(fc.anything(), { maxLength: 10 })), (body) => {
        for (const e of parseDelivery(body, CTX)) checkEntry(e, VAULTS);
      }),
      { numRuns: RUNS },
    );
  });

  it("near-valid events: signals only for allow-listed vaults whose exact resource id is the topic/source", () => {
    let signals = 0;
    fc.assert(
      fc.property(kvEvent, (ev) => {
        const r = parseKeyVaultEvent(ev, CTX);
        checkEntry(r, VAULTS, ev);
        if (r.kind === "signal") signals++;
      }),
      { numRuns: 4000 },
    );
    expect(signals).toBeGreaterThan(200); // the generator does reach the acceptance path
  });

  it("a narrower allow-list is honoured (random subsets of the configured vaults)", () => {
    const entries = [...VAULTS.entries()];
    fc.assert(
      fc.property(fc.subarray(entries), fc.array(kvEvent, { maxLength: 8 }), (subset, batch) => {
        const vaults = new Map(subset);
        const out = parseDelivery(batch, {
          vaults,
          receivedAt: CTX.receivedAt,
        });
        expect(out).toHaveLength(batch.length);
        out.forEach((e, i) => checkEntry(e, vaults, batch[i]));
        const keys = out.flatMap((e) => (e.kind === "signal" ? [signalKey(e.signal)] : []));
        expect(new Set(keys).size).toBe(keys.length); // dedupe: one signal per key
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- rotate request ----
const RCTX = { vaults: VAULTS, clusterNames: ["aks-weu", "aks-neu"] };

function checkRotate(r: RotateRequestResult): void {
  if (r.ok) {
    expect(VAULTS.get(r.value.vault)).toBeDefined();
    expect(isValidObjectName(r.value.objectName)).toBe(true);
    expect(["secret", "certificate", "key"]).toContain(r.value.objectType);
    expect(typeof r.value.dryRun).toBe("boolean");
    for (const c of r.value.clusters ?? []) expect(RCTX.clusterNames).toContain(c);
    for (const n of r.value.namespaces ?? []) expect(isDns1123Label(n)).toBe(true);
  } else {
    expect([400, 403, 413]).toContain(r.status);
    expect(r.message.length).toBeGreaterThan(0);
    expect(r.message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(r.message).not.toMatch(UNSAFE);
    if (r.field !== undefined) expect(r.field).not.toMatch(UNSAFE);
  }
}

const sometimes = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: bad });
const rotateBody = fc.record(
  {
    vault: sometimes(fc.constantFrom("kv-prod", "KV-PROD", "sample-kv", "lowkey", "kv-other"), fc.oneof(vaultName, fc.anything())),
    objectName: sometimes(fc.stringMatching(/^[0-9a-zA-Z-]{1,20}$/), fc.oneof(objectName, fc.anything())),
    objectType: sometimes(fc.constantFrom("secret", "certificate", "key", "Key"), fc.oneof(fc.constant("cert"), fc.anything())),
    clusters: sometimes(
      fc.array(fc.constantFrom("aks-weu", "aks-neu"), { minLength: 1 }),
      fc.oneof(fc.array(fc.constantFrom("aks-weu", "nope")), fc.anything()),
    ),
    namespaces: sometimes(
      fc.array(fc.constantFrom("default", "apps", "team-a"), { minLength: 1 }),
      fc.oneof(fc.array(fc.constantFrom("default", "Bad", "", "a".repeat(64))), fc.array(fc.string(), { maxLength: 3 }), fc.anything()),
    ),
    dryRun: sometimes(fc.boolean(), fc.anything()),
    extra: fc.anything(),
  },
  { requiredKeys: ["vault", "objectName"] },
);
/** Mostly without the unknown `extra` field (it always yields a 400), sometimes with it. */
const rotateInput = fc
  .tuple(rotateBody, fc.integer({ min: 0, max: 4 }))
  .map(([b, n]) => (n === 0 ? b : (({ extra: _x, ...rest }) => rest)(b)));

describe("parseRotateRequest / parseRotateQuery properties", () => {
  it("never throws on arbitrary JSON, values, or raw strings", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything(), fc.string(), fc.json()), (input) => {
        checkRotate(parseRotateRequest(input, RCTX));
      }),
      { numRuns: RUNS },
    );
  });

  it("near-valid bodies: ok results are always allow-listed and valid", () => {
    let oks = 0;
    fc.assert(
      fc.property(rotateInput, (body) => {
        const r = parseRotateRequest(body, RCTX);
        checkRotate(r);
        if (r.ok) oks++;
      }),
      { numRuns: 3000 },
    );
    expect(oks).toBeGreaterThan(200);
  });

  it("arbitrary query strings", () => {
    const key = fc.oneof(
      fc.constantFrom("vault", "objectName", "objectType", "namespace", "cluster", "code", "dryRun"),
      fc.string({ maxLength: 10 }),
    );
    const val = fc.oneof(fc.constantFrom("kv-prod", "db", "secret", "default", "aks-weu", "a,b", ""), fc.string({ maxLength: 30 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(key, val), { maxLength: 8 }), (pairs) => {
        const r = parseRotateQuery(new URLSearchParams(pairs), RCTX);
        checkRotate(r);
        if (r.ok) expect(r.value.dryRun).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
