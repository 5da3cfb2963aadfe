import { describe, expect, it } from "vitest";
import type { KeyVaultSecretNewVersionCreatedEventData } from "@azure/eventgrid";
import {
  EXPIRY_EVENT_TYPES,
  IGNORED_EVENT_TYPES,
  MAX_REASON_LENGTH,
  parseKeyVaultEvent,
  parseEventTime,
  type ParsedEvent,
} from "../../../shared/signal/keyvault-event.js";
import {
  CTX,
  EMU_RESOURCE_ID,
  MS_CE_SECRET_SAMPLE,
  MS_EG_CERT_SAMPLE,
  MS_EG_KEY_SAMPLE,
  MS_EG_SECRET_SAMPLE,
  MS_EG_SECRET_SAMPLE_2020_CAMEL,
  PROD_RESOURCE_ID,
  RECEIVED_AT,
  egEvent,
  first,
  toCloudEvent,
} from "./fixtures.js";

function signalOf(r: ParsedEvent) {
  if (r.kind !== "signal") throw new Error(`expected a signal, got ${JSON.stringify(r)}`);
  return r.signal;
}
function reasonOf(r: ParsedEvent): string {
  if (r.kind !== "rejected") throw new Error(`expected a rejection, got ${JSON.stringify(r)}`);
  expect(r.reason.length).toBeGreaterThan(0);
  expect(r.reason.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
  // eslint-disable-next-line no-control-regex
  expect(r.reason).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  return r.reason;
}
const parse = (raw: unknown) => parseKeyVaultEvent(raw, CTX);

describe("Microsoft's published samples (Event Grid schema)", () => {
  it("SecretNewVersionCreated: verbatim sample incl. 'ObjectName ' key, ' <version>', quoted NBF/EXP", () => {
    expect(parse(first(MS_EG_SECRET_SAMPLE))).toEqual({
      kind: "signal",
      signal: {
        vault: "sample-kv",
        objectType: "secret",
        objectName: "newsecret",
        version: "ee059b2bb5bc48398a53b168c6cdcb10",
        eventTime: "2019-07-25T01:08:33.103Z",
        source: "eventgrid",
        eventId: "00eccf70-95a7-4e7c-8299-2eb17ee9ad64",
      },
    });
  });

  it("CertificateNewVersionCreated (adapted sample)", () => {
    const s = signalOf(parse(first(MS_EG_CERT_SAMPLE)));
    expect(s).toMatchObject({
      vault: "sample-kv",
      objectType: "certificate",
      objectName: "newcert",
    });
    expect(s.version).toBe("3c6d0b0bd0a94f3e8bd5bd0d58b1f8f2");
  });

  it("KeyNewVersionCreated (adapted sample)", () => {
    const s = signalOf(parse(first(MS_EG_KEY_SAMPLE)));
    expect(s).toMatchObject({
      vault: "sample-kv",
      objectType: "key",
      objectName: "newkey",
    });
    expect(s.version).toBe("9f1e2d3c4b5a69788796a5b4c3d2e1f0");
  });

  it("2020 revision sample with camelCase data keys ('objectName ', 'version', 'nbf')", () => {
    const s = signalOf(parse(first(MS_EG_SECRET_SAMPLE_2020_CAMEL)));
    expect(s).toMatchObject({
      vault: "sample-kv",
      objectType: "secret",
      objectName: "newsecret",
    });
    expect(s.version).toBe("ee059b2bb5bc48398a53b168c6cdcb10");
  });
});

describe("CloudEvents 1.0 schema", () => {
  it("the verbatim CloudEvents sample", () => {
    const s = signalOf(parse(first(MS_CE_SECRET_SAMPLE)));
    expect(s).toEqual({
      vault: "sample-kv",
      objectType: "secret",
      objectName: "newsecret",
      version: "ee059b2bb5bc48398a53b168c6cdcb10",
      eventTime: "2019-07-25T01:08:33.103Z",
      source: "cloudevents",
      eventId: "00eccf70-95a7-4e7c-8299-2eb17ee9ad64",
    });
  });
  it.each([
    ["certificate", MS_EG_CERT_SAMPLE, "newcert"],
    ["key", MS_EG_KEY_SAMPLE, "newkey"],
  ] as const)("%s sample converted to CloudEvents", (type, sample, name) => {
    const s = signalOf(parse(toCloudEvent(first(sample))));
    expect(s).toMatchObject({
      objectType: type,
      objectName: name,
      source: "cloudevents",
    });
  });
  it("rejects specversion other than 1.0", () => {
    expect(reasonOf(parse({ ...toCloudEvent(egEvent()), specversion: "0.3" }))).toMatch(/specversion.*"1\.0"/);
  });
  it("rejects data_base64 (binary data)", () => {
    const { data: _d, ...ce } = toCloudEvent(egEvent());
    expect(reasonOf(parse({ ...ce, data_base64: "e30=" }))).toMatch(/data_base64/);
  });
  it("rejects a CloudEvent whose source is not the configured vault resource id", () => {
    const ce = toCloudEvent(egEvent({ topic: PROD_RESOURCE_ID.replace("rg-secrets", "rg-evil") }));
    const r = parse(ce);
    expect(reasonOf(r)).toMatch(/^source .* is not the configured resource id of vault kv-prod; expected/);
    expect(r).toMatchObject({
      eventId: "6f1c2a0e-0000-4000-8000-000000000001",
    });
  });
});

describe("data spellings and tolerance", () => {
  it("camelCase data as @azure/eventgrid types it (numbers for nbf/exp)", () => {
    const data: KeyVaultSecretNewVersionCreatedEventData = {
      id: "https://kv-prod.vault.azure.net/secrets/db-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      vaultName: "kv-prod",
      objectType: "Secret",
      objectName: "db-password",
      version: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      nbf: 1735689600,
      exp: 1798761600,
    };
    const s = signalOf(parse({ ...egEvent(), data }));
    expect(s).toMatchObject({
      vault: "kv-prod",
      objectName: "db-password",
      version: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    });
  });
  it.each([
    [null, null],
    [1735689600, 1798761600],
    ["1735689600", "1798761600"],
    ["", ""],
    [undefined, undefined],
  ])("NBF=%j EXP=%j accepted", (nbf, exp) => {
    expect(parse(egEvent({}, { NBF: nbf, EXP: exp })).kind).toBe("signal");
  });
  it("rejects NBF/EXP of a wrong type", () => {
    expect(reasonOf(parse(egEvent({}, { EXP: { at: 1 } })))).toMatch(/data\.EXP is object; expected seconds since the epoch/);
    expect(reasonOf(parse(egEvent({}, { NBF: true })))).toMatch(/data\.NBF is boolean/);
  });
  it("ObjectType is compared case-insensitively and may be absent", () => {
    expect(parse(egEvent({}, { ObjectType: "SECRET" })).kind).toBe("signal");
    expect(parse(egEvent({}, { ObjectType: undefined })).kind).toBe("signal");
  });
  it("vault names in topic/data are case-insensitive; the signal's vault is lower-cased", () => {
    const s = signalOf(parse(egEvent({ topic: PROD_RESOURCE_ID.toUpperCase() }, { VaultName: "KV-Prod" })));
    expect(s.vault).toBe("kv-prod");
  });
  it("version: trimmed; absent/null/blank → omitted; taken from Id when Version is absent", () => {
    expect(signalOf(parse(egEvent({}, { Version: "  0a1b2c3d4e5f60718293a4b5c6d7e8f9 \t" }))).version).toBe(
      "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    );
    const noVersion = {
      Version: null,
      Id: "https://kv-prod.vault.azure.net/secrets/db-password",
    };
    expect(signalOf(parse(egEvent({}, noVersion)))).not.toHaveProperty("version");
    expect(signalOf(parse(egEvent({}, { Version: "  ", Id: undefined })))).not.toHaveProperty("version");
    expect(signalOf(parse(egEvent({}, { Version: undefined }))).version).toBe("0a1b2c3d4e5f60718293a4b5c6d7e8f9");
  });
  it("eventTime: normalised ISO; receipt time when missing or invalid; Date objects accepted", () => {
    expect(signalOf(parse(egEvent({ eventTime: "2026-05-01T12:15:30+02:00" }))).eventTime).toBe("2026-05-01T10:15:30.000Z");
    expect(signalOf(parse(egEvent({ eventTime: "yesterday" }))).eventTime).toBe(RECEIVED_AT.toISOString());
    expect(signalOf(parse(egEvent({ eventTime: undefined }))).eventTime).toBe(RECEIVED_AT.toISOString());
    expect(signalOf(parse(egEvent({ eventTime: 1714557330 }))).eventTime).toBe(RECEIVED_AT.toISOString());
    expect(signalOf(parse(egEvent({ eventTime: new Date("2026-01-02T03:04:05Z") }))).eventTime).toBe("2026-01-02T03:04:05.000Z");
    expect(parseEventTime("2026-02-30T00:00:00Z")).toBeUndefined();
  });
  it("unknown data fields are ignored", () => {
    expect(parse(egEvent({}, { Extra: { deep: [1, 2] }, "": 1 })).kind).toBe("signal");
  });
  it("an emulator vault: Id on the configured url's host is accepted", () => {
    const ev = egEvent(
      { topic: EMU_RESOURCE_ID, subject: "s1" },
      {
        Id: "https://localhost:8443/secrets/s1/abc123",
        VaultName: "lowkey",
        ObjectName: "s1",
        Version: "abc123",
      },
    );
    expect(signalOf(parse(ev))).toMatchObject({
      vault: "lowkey",
      objectName: "s1",
      version: "abc123",
    });
  });
});

describe("ignored Key Vault event types", () => {
  it.each(Object.entries(IGNORED_EVENT_TYPES))("%s → ignored with a meaning", (type, meaning) => {
    const r = parse(egEvent({ eventType: type }));
    expect(r).toEqual({
      kind: "ignored",
      eventType: type,
      meaning,
      eventId: "6f1c2a0e-0000-4000-8000-000000000001",
    });
    expect(meaning).toMatch(/nothing to push|no new version to push/);
  });
  it("only the access-policy change is ignored", () => {
    expect(Object.keys(IGNORED_EVENT_TYPES)).toEqual(["Microsoft.KeyVault.VaultAccessPolicyChanged"]);
  });
});

describe("expiry events", () => {
  it.each(Object.entries(EXPIRY_EVENT_TYPES))("%s → an expiry notice (object type, expired, EXP as a time)", (type, meta) => {
    const collection = meta.objectType === "secret" ? "secrets" : meta.objectType === "key" ? "keys" : "certificates";
    const r = parse(
      egEvent(
        { eventType: type },
        { Id: `https://kv-prod.vault.azure.net/${collection}/db-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9`, ObjectType: meta.objectType },
      ),
    );
    expect(r).toEqual({
      kind: "expiry",
      notice: {
        vault: "kv-prod",
        objectType: meta.objectType,
        objectName: "db-password",
        version: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        expiresOn: new Date(1798761600 * 1000).toISOString(),
        expired: meta.expired,
        eventType: type,
        eventTime: "2026-05-01T10:15:30.123Z",
        source: "eventgrid",
        eventId: "6f1c2a0e-0000-4000-8000-000000000001",
      },
    });
  });
  it("EXP as a string, absent, or nonsense: the time is known, or left out", () => {
    const exp = (v: unknown) => {
      const r = parse(egEvent({ eventType: "Microsoft.KeyVault.SecretNearExpiry" }, { EXP: v }));
      return r.kind === "expiry" ? r.notice.expiresOn : `not expiry: ${r.kind}`;
    };
    expect(exp("1798761600")).toBe(new Date(1798761600 * 1000).toISOString());
    expect(exp(null)).toBeUndefined();
    expect(exp("tomorrow")).toBeUndefined();
    expect(exp(-5)).toBeUndefined();
  });
  it("expiry events are checked like new-version events (data must agree with the topic)", () => {
    const r = parse(egEvent({ eventType: "Microsoft.KeyVault.SecretExpired" }, { VaultName: "kv-other" }));
    expect(reasonOf(r)).toMatch(/data.VaultName "kv-other" disagrees/);
  });
  it("an ignored type from a vault outside the allow-list is still rejected", () => {
    const topic = PROD_RESOURCE_ID.replace("kv-prod", "kv-other");
    expect(reasonOf(parse(egEvent({ topic, eventType: "Microsoft.KeyVault.SecretExpired" })))).toMatch(/not in the vault allow-list/);
  });
});

describe("rejections", () => {
  it.each([
    [null, /event is <null>, not a JSON object/],
    [42, /event is <number 42>, not a JSON object/],
    ["text", /event is text, not a JSON object/],
    [[egEvent()], /event is <array of 1>, not a JSON object/],
    [new Date(0), /not a JSON object/],
  ])("not an object: %j", (raw, re) => {
    expect(reasonOf(parse(raw))).toMatch(re);
  });

  it("unknown schema names both expected shapes", () => {
    const reason = reasonOf(parse({ hello: "world" }));
    expect(reason).toMatch(/^unknown event schema: expected Event Grid schema \{id, topic/);
    expect(reason).toMatch(/CloudEvents 1\.0/);
    expect(reason).toMatch(/got keys "hello"/);
  });

  it("the Event Grid subscription validation event says the Functions host answers it", () => {
    const ev = {
      id: "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
      topic: "/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
      subject: "",
      data: {
        validationCode: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
        validationUrl: "https://example.invalid/x",
      },
      eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
      eventTime: "2018-01-25T22:12:19.4556811Z",
      metadataVersion: "1",
      dataVersion: "1",
    };
    const r = parse(ev);
    expect(reasonOf(r)).toMatch(/handshake: the Functions host's Event Grid extension answers it/);
    expect(r).toMatchObject({
      eventId: "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
    });
  });

  it("non-Key-Vault and unsupported Key Vault event types", () => {
    expect(reasonOf(parse(egEvent({ eventType: "Microsoft.Storage.BlobCreated" })))).toMatch(
      /^not a Key Vault event type "Microsoft\.Storage\.BlobCreated"; expected Microsoft\.KeyVault\./,
    );
    expect(reasonOf(parse(egEvent({ eventType: "Microsoft.KeyVault.SecretDeleted" })))).toMatch(/^unsupported Key Vault event type/);
    expect(reasonOf(parse(egEvent({ eventType: 7 })))).toMatch(/eventType is number; expected a non-empty string/);
  });

  it("missing / invalid event id", () => {
    expect(reasonOf(parse(egEvent({ id: undefined })))).toMatch(/event id is missing/);
    expect(reasonOf(parse(egEvent({ id: 5 })))).toMatch(/event id is number/);
    const r = parse(egEvent({ id: "abc\ndef" }));
    expect(reasonOf(r)).toMatch(/event id is "abc\\ndef"/);
    expect(r).not.toHaveProperty("eventId");
  });

  it("wrong envelope types", () => {
    expect(reasonOf(parse(egEvent({ dataVersion: 1 })))).toMatch(/dataVersion is number; expected a string/);
    expect(reasonOf(parse(egEvent({ topic: undefined })))).toMatch(/^topic is undefined; expected the vault's resource id/);
    expect(reasonOf(parse(egEvent({ topic: ["x"] })))).toMatch(/^topic is array/);
  });

  it("topic that is not a Key Vault resource id", () => {
    const topic = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/kv-prod";
    expect(reasonOf(parse(egEvent({ topic })))).toMatch(/is not a Key Vault resource id; expected \/subscriptions\/<sub>/);
    expect(reasonOf(parse(egEvent({ topic: `${PROD_RESOURCE_ID}/secrets/x` })))).toMatch(/is not a Key Vault resource id/);
  });

  it("vault not in the allow-list", () => {
    const topic = PROD_RESOURCE_ID.replace("kv-prod", "kv-stolen");
    const r = parse(egEvent({ topic }, { VaultName: "kv-stolen" }));
    expect(reasonOf(r)).toMatch(/^vault "kv-stolen" \(from topic\) is not in the vault allow-list/);
  });

  it("topic naming an allow-listed vault under another subscription / resource group", () => {
    const topic = PROD_RESOURCE_ID.replace("0b1f6471", "deadbeef");
    expect(reasonOf(parse(egEvent({ topic })))).toMatch(
      /^topic ".*deadbeef.*" is not the configured resource id of vault kv-prod; expected "\/subscriptions\/0b1f6471/,
    );
  });

  it("invalid vault name in topic", () => {
    const topic = PROD_RESOURCE_ID.replace("kv-prod", "kv--prod");
    expect(reasonOf(parse(egEvent({ topic })))).toMatch(/names vault "kv--prod", which is not a valid vault name/);
  });

  it("data missing or not an object", () => {
    expect(reasonOf(parse(egEvent({ data: undefined })))).toMatch(/^data is undefined; expected an object \{Id, VaultName/);
    const { data: _d, ...noData } = egEvent();
    expect(reasonOf(parse(noData))).toMatch(/^data is missing/);
    expect(reasonOf(parse(egEvent({ data: "{}" })))).toMatch(/^data is string/);
  });

  it("VaultName missing, invalid, or disagreeing with the topic", () => {
    expect(reasonOf(parse(egEvent({}, { VaultName: undefined })))).toMatch(/data\.VaultName is missing; expected "kv-prod"/);
    expect(reasonOf(parse(egEvent({}, { VaultName: 3 })))).toMatch(/data\.VaultName is number/);
    expect(reasonOf(parse(egEvent({}, { VaultName: "../kv" })))).toMatch(/data\.VaultName "\.\.\/kv" is not a valid vault name/);
    expect(reasonOf(parse(egEvent({}, { VaultName: "sample-kv" })))).toMatch(
      /data\.VaultName "sample-kv" disagrees with the topic's vault; expected "kv-prod"/,
    );
  });

  it.each([
    ["../x", /data\.ObjectName "\.\.\/x" is not a valid Key Vault object name; expected 1-127 characters/],
    ["a/b", /is not a valid Key Vault object name/],
    ["db\npassword", /"db\\npassword" is not a valid/],
    ["x\u202ey", /"x\\u202ey" is not a valid/],
    ["", /is not a valid Key Vault object name/],
    ["a".repeat(128), /"a{99}…" is not a valid/],
    ["db password", /is not a valid/],
  ])("bad ObjectName %j", (name, re) => {
    expect(reasonOf(parse(egEvent({ subject: undefined }, { ObjectName: name, Id: undefined })))).toMatch(re);
  });

  it("ObjectName missing or of a wrong type", () => {
    expect(reasonOf(parse(egEvent({}, { ObjectName: undefined })))).toMatch(/data\.ObjectName is missing; expected the secret name/);
    expect(reasonOf(parse(egEvent({}, { ObjectName: ["db-password"] })))).toMatch(/data\.ObjectName is array/);
  });

  it("conflicting spellings of one data key", () => {
    expect(reasonOf(parse(egEvent({}, { "objectName ": "other" })))).toMatch(/conflicting values for ObjectName/);
    expect(parse(egEvent({}, { objectName: "db-password" })).kind).toBe("signal");
  });

  it("subject disagreeing with ObjectName", () => {
    expect(reasonOf(parse(egEvent({ subject: "other" })))).toMatch(/subject "other" disagrees with data\.ObjectName "db-password"/);
  });

  it("ObjectType disagreeing with the event type", () => {
    expect(reasonOf(parse(egEvent({}, { ObjectType: "Key" })))).toMatch(
      /data\.ObjectType "Key" disagrees with event type Microsoft\.KeyVault\.SecretNewVersionCreated; expected "Secret"/,
    );
    expect(reasonOf(parse(egEvent({}, { ObjectType: 1 })))).toMatch(/data\.ObjectType <number 1> disagrees/);
  });

  it("invalid Version", () => {
    expect(reasonOf(parse(egEvent({}, { Version: "../../x", Id: undefined })))).toMatch(/data\.Version "\.\.\/\.\.\/x" is invalid/);
    expect(reasonOf(parse(egEvent({}, { Version: 12 })))).toMatch(/data\.Version is number; expected a string/);
  });

  it.each([
    [
      "https://kv-evil.vault.azure.net/secrets/db-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      /names host "kv-evil\.vault\.azure\.net", not vault kv-prod/,
    ],
    ["https://kv-prod.vault.evil.net/secrets/db-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9", /names host/],
    ["https://kv-prod.vault.azure.net:444/secrets/db-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9", /names host/],
    ["http://kv-prod.vault.azure.net/secrets/db-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9", /uses http:/],
    ["https://kv-prod.vault.azure.net/keys/db-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9", /names collection "keys", not secrets/],
    ["https://kv-prod.vault.azure.net/secrets/other/0a1b2c3d4e5f60718293a4b5c6d7e8f9", /names object "other", not ObjectName/],
    ["https://kv-prod.vault.azure.net/secrets/db-password/ffff", /names version "ffff" but data\.Version is "0a1b/],
    ["https://kv-prod.vault.azure.net/secrets/db-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9?x=1", /query/],
    ["https://u:p@kv-prod.vault.azure.net/secrets/db-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9", /credentials/],
    ["https://kv-prod.vault.azure.net/secrets/a/b/c/d", /unexpected path/],
    ["not a url", /is not a URL/],
  ])("Id %s", (id, re) => {
    const reason = reasonOf(parse(egEvent({}, { Id: id })));
    expect(reason).toMatch(re);
    expect(reason).toMatch(/expected https:\/\/kv-prod\.vault\.azure\.net\/secrets\/db-password\/<version>|names version/);
  });

  it("Id of a wrong type", () => {
    expect(reasonOf(parse(egEvent({}, { Id: 5 })))).toMatch(/data\.Id <number 5> is number, not a URL string/);
  });

  it("never echoes more than ~100 characters of attacker input, and strips control characters", () => {
    const evil = `Microsoft.Evil\u0000\r\n\u001b[31m${"A".repeat(10_000)}`;
    const reason = reasonOf(parse(egEvent({ eventType: evil })));
    expect(reason).toContain("\\u0000\\r\\n\\u001b[31m");
    expect(reason).not.toContain("A".repeat(101));
    const topic = `${"/x".repeat(5000)}`;
    expect(reasonOf(parse(egEvent({ topic }))).length).toBeLessThan(400);
  });
});
