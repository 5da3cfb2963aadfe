import { createPublicKey, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeAllPem, decodePem, encodePem, encodePemBlock } from "../../../shared/render/index.js";
import { chain, ecKey, rsaKey } from "./fixtures.js";

const str = (b: Uint8Array) => Buffer.from(b).toString("latin1");

/** Go's layout, written out by hand: 64-column base64 lines, each ending in \n, no body line for empty input. */
function goLayout(type: string, der: Buffer): string {
  const b64 = der.toString("base64");
  let body = "";
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + "\n";
  return `-----BEGIN ${type}-----\n${body}-----END ${type}-----\n`;
}

describe("encodePem", () => {
  it.each([0, 1, 2, 3, 47, 48, 49, 96, 100, 1000])("matches Go's layout for %i bytes", (n) => {
    const der = randomBytes(n);
    const out = str(encodePem("TEST BLOCK", der));
    expect(out).toBe(goLayout("TEST BLOCK", der));
    const lines = out.split("\n");
    expect(lines.at(-1)).toBe(""); // trailing newline
    for (const l of lines.slice(1, -2)) expect(l.length).toBeLessThanOrEqual(64);
  });

  it("writes an empty body as BEGIN/END only", () => {
    expect(str(encodePem("PRIVATE KEY", new Uint8Array()))).toBe("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n");
  });

  it("equals OpenSSL's PEM output for keys and certificates", () => {
    const k = rsaKey();
    const spki = createPublicKey(k).export({ type: "spki", format: "der" });
    expect(str(encodePem("PUBLIC KEY", spki))).toBe(createPublicKey(k).export({ type: "spki", format: "pem" }));
    const e = ecKey("P-384");
    expect(str(encodePem("EC PRIVATE KEY", e.export({ type: "sec1", format: "der" })))).toBe(e.export({ type: "sec1", format: "pem" }));
    const c = chain().leaf;
    expect(str(encodePem("CERTIFICATE", c.der))).toBe(c.x509.toString());
  });

  it("writes headers like Go: Proc-Type first, the rest sorted, then a blank line", () => {
    const headers = new Map([
      ["localKeyId", "01ab"],
      ["DEK-Info", "x"],
      ["Proc-Type", "4,ENCRYPTED"],
      ["friendlyName", "n"],
    ]);
    const out = str(encodePemBlock({ type: "T", headers, bytes: Buffer.from("hi") }));
    expect(out).toBe(
      "-----BEGIN T-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: x\nfriendlyName: n\nlocalKeyId: 01ab\n\naGk=\n-----END T-----\n",
    );
  });
});

describe("decodePem / decodeAllPem", () => {
  it("decodes blocks in order, skipping text around them", () => {
    const a = randomBytes(70);
    const b = randomBytes(5);
    const input = Buffer.from(`leading junk\n${goLayout("A", a)}between\n${goLayout("B", b)}trailer`);
    const { blocks, rest } = decodeAllPem(input);
    expect(blocks.map((x) => x.type)).toEqual(["A", "B"]);
    expect(Buffer.from(blocks[0]!.bytes).equals(a)).toBe(true);
    expect(Buffer.from(blocks[1]!.bytes).equals(b)).toBe(true);
    expect(Buffer.from(rest).toString()).toBe("trailer");
  });

  it("accepts CRLF line endings, trailing spaces and unwrapped base64", () => {
    const d = randomBytes(200);
    const input = `-----BEGIN X-----  \r\n${d.toString("base64")}\r\n-----END X-----\r\n`;
    const r = decodePem(Buffer.from(input));
    expect(r?.block.type).toBe("X");
    expect(Buffer.from(r!.block.bytes).equals(d)).toBe(true);
  });

  it("reads headers and skips malformed blocks", () => {
    const d = randomBytes(10);
    const input = Buffer.from(
      "-----BEGIN BAD-----\n!!!notbase64!!!\n-----END BAD-----\n" +
        "-----BEGIN MISMATCH-----\nAAAA\n-----END OTHER-----\n" +
        `-----BEGIN GOOD-----\nfriendlyName: leaf\nlocalKeyId: 0a\n\n${d.toString("base64")}\n-----END GOOD-----\n`,
    );
    const { blocks } = decodeAllPem(input);
    expect(blocks.map((b) => b.type)).toEqual(["GOOD"]);
    expect([...blocks[0]!.headers]).toEqual([
      ["friendlyName", "leaf"],
      ["localKeyId", "0a"],
    ]);
    expect(Buffer.from(blocks[0]!.bytes).equals(d)).toBe(true);
  });

  it("returns null and keeps the input as rest when there is no block", () => {
    expect(decodePem(Buffer.from("no pem here"))).toBeNull();
    const { blocks, rest } = decodeAllPem(Buffer.from("no pem here"));
    expect(blocks).toHaveLength(0);
    expect(Buffer.from(rest).toString()).toBe("no pem here");
  });

  it("round-trips with encodePemBlock", () => {
    const headers = new Map([["friendlyName", "x"]]);
    const block = {
      type: "CERTIFICATE",
      headers,
      bytes: new Uint8Array(randomBytes(300)),
    };
    const decoded = decodePem(encodePemBlock(block));
    expect(decoded?.block.type).toBe("CERTIFICATE");
    expect([...decoded!.block.headers]).toEqual([["friendlyName", "x"]]);
    expect(Buffer.from(decoded!.block.bytes).equals(Buffer.from(block.bytes))).toBe(true);
    expect(decoded!.rest).toHaveLength(0);
  });
});
