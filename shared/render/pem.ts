// PEM encoding and decoding with the exact behaviour of Go's `encoding/pem`
// (`pem.EncodeToMemory` and `pem.Decode`), which is what the Azure provider and the
// Secrets Store CSI driver use to build file contents and synced Secret data.
//
// Block types and header keys/values are "binary strings": one UTF-16 code unit per byte
// (latin1), so that any input round-trips byte for byte. In practice they are ASCII.

/** One PEM block. `headers` are the RFC 1421 headers (`Key: value` lines), usually empty. */
export interface PemBlock {
  type: string;
  headers: ReadonlyMap<string, string>;
  /** The decoded body (DER for keys and certificates). */
  bytes: Uint8Array;
}

const NL = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

const PEM_START = Buffer.from("\n-----BEGIN ", "latin1");
const PEM_END = Buffer.from("\n-----END ", "latin1");
const PEM_END_OF_LINE = Buffer.from("-----", "latin1");

/** Concatenates byte arrays into one new Uint8Array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function toBinaryBytes(s: string): Buffer {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) return Buffer.from(s, "utf8");
  }
  return Buffer.from(s, "latin1");
}

/**
 * Encodes one block exactly like Go's `pem.EncodeToMemory`:
 * `-----BEGIN T-----\n`, headers (Proc-Type first, the rest sorted by key, then a blank line),
 * base64 (standard alphabet, padded) wrapped at 64 columns, each line ending in `\n`,
 * `-----END T-----\n`. An empty body produces no body line at all.
 */
export function encodePemBlock(block: { type: string; bytes: Uint8Array; headers?: ReadonlyMap<string, string> | undefined }): Uint8Array {
  const parts: Buffer[] = [];
  parts.push(Buffer.from("-----BEGIN ", "latin1"), toBinaryBytes(block.type), Buffer.from("-----\n", "latin1"));
  const headers = block.headers;
  if (headers && headers.size > 0) {
    for (const k of headers.keys()) {
      if (k.includes(":")) throw new Error(`pem: cannot encode a header key that contains a colon: ${JSON.stringify(k)}`);
    }
    const writeHeader = (k: string, v: string) =>
      parts.push(toBinaryBytes(k), Buffer.from(": ", "latin1"), toBinaryBytes(v), Buffer.from("\n", "latin1"));
    const procType = headers.get("Proc-Type");
    if (procType !== undefined) writeHeader("Proc-Type", procType);
    // Go sorts with sort.Strings: byte-wise order.
    const keys = [...headers.keys()].filter((k) => k !== "Proc-Type").sort((a, b) => Buffer.compare(toBinaryBytes(a), toBinaryBytes(b)));
    for (const k of keys) writeHeader(k, headers.get(k) ?? "");
    parts.push(Buffer.from("\n", "latin1"));
  }
  const b64 = Buffer.from(block.bytes.buffer, block.bytes.byteOffset, block.bytes.byteLength).toString("base64");
  for (let i = 0; i < b64.length; i += 64) {
    parts.push(Buffer.from(b64.slice(i, i + 64) + "\n", "latin1"));
  }
  parts.push(Buffer.from("-----END ", "latin1"), toBinaryBytes(block.type), Buffer.from("-----\n", "latin1"));
  return concatBytes(parts);
}

/** `encodePemBlock` for a block without headers: `pem.EncodeToMemory(&pem.Block{Type: type, Bytes: der})`. */
export function encodePem(type: string, der: Uint8Array): Uint8Array {
  return encodePemBlock({ type, bytes: der });
}

/** Go's getLine: up to the next `\n` (dropping a `\r` before it), right-trimmed of spaces and tabs. */
function getLine(data: Buffer): [Buffer, Buffer] {
  let i = data.indexOf(NL);
  let j: number;
  if (i < 0) {
    i = data.length;
    j = i;
  } else {
    j = i + 1;
    if (i > 0 && data[i - 1] === CR) i--;
  }
  let end = i;
  while (end > 0 && (data[end - 1] === SPACE || data[end - 1] === TAB)) end--;
  return [data.subarray(0, end), data.subarray(j)];
}

function trimSpaceAscii(b: Buffer): Buffer {
  // bytes.TrimSpace for the ASCII whitespace set (Go also trims Unicode spaces in UTF-8; header
  // keys/values are ASCII in practice).
  const ws = (c: number | undefined) =>
    c === SPACE || c === TAB || c === NL || c === CR || c === 0x0b || c === 0x0c || c === 0x85 || c === 0xa0;
  let s = 0;
  let e = b.length;
  while (s < e && ws(b[s])) s++;
  while (e > s && ws(b[e - 1])) e--;
  return b.subarray(s, e);
}

/** base64.StdEncoding.Decode as Go does it: `\r` and `\n` are skipped, padding is required. */
export function goBase64StdDecode(input: Uint8Array | string): Buffer | null {
  const raw = typeof input === "string" ? Buffer.from(input, "latin1") : Buffer.from(input);
  let s = "";
  for (const c of raw) {
    if (c === NL || c === CR) continue;
    s += String.fromCharCode(c);
  }
  if (s.length % 4 !== 0) return null;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  return Buffer.from(s, "base64");
}

function removeSpacesAndTabs(b: Buffer): Buffer {
  const out: number[] = [];
  for (const c of b) if (c !== SPACE && c !== TAB) out.push(c);
  return Buffer.from(out);
}

function hasPrefix(b: Buffer, prefix: Buffer): boolean {
  return b.length >= prefix.length && b.subarray(0, prefix.length).equals(prefix);
}

function hasSuffix(b: Buffer, suffix: Buffer): boolean {
  return b.length >= suffix.length && b.subarray(b.length - suffix.length).equals(suffix);
}

/**
 * Go's `pem.Decode`: finds the next valid PEM block (skipping anything before it, and skipping
 * malformed blocks), returning it and the rest of the input; `null` when there is none
 * (Go then returns the whole input as rest).
 */
export function decodePem(input: Uint8Array): { block: PemBlock; rest: Uint8Array } | null {
  const data = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let rest = data;
  for (;;) {
    const startNoNl = PEM_START.subarray(1);
    if (hasPrefix(rest, startNoNl)) {
      rest = rest.subarray(startNoNl.length);
    } else {
      const idx = rest.indexOf(PEM_START);
      if (idx < 0) return null;
      rest = rest.subarray(idx + PEM_START.length);
    }

    let typeLine: Buffer;
    [typeLine, rest] = getLine(rest);
    if (!hasSuffix(typeLine, PEM_END_OF_LINE)) continue;
    typeLine = typeLine.subarray(0, typeLine.length - PEM_END_OF_LINE.length);

    const headers = new Map<string, string>();
    let truncated = false;
    for (;;) {
      if (rest.length === 0) {
        truncated = true;
        break;
      }
      const [line, next] = getLine(rest);
      const colon = line.indexOf(0x3a);
      if (colon < 0) break;
      const key = trimSpaceAscii(line.subarray(0, colon)).toString("latin1");
      const val = trimSpaceAscii(line.subarray(colon + 1)).toString("latin1");
      headers.set(key, val);
      rest = next;
    }
    if (truncated) return null;

    let endIndex: number;
    let endTrailerIndex: number;
    const endNoNl = PEM_END.subarray(1);
    if (headers.size === 0 && hasPrefix(rest, endNoNl)) {
      endIndex = 0;
      endTrailerIndex = endNoNl.length;
    } else {
      endIndex = rest.indexOf(PEM_END);
      endTrailerIndex = endIndex + PEM_END.length;
    }
    if (endIndex < 0) continue;

    let endTrailer = rest.subarray(endTrailerIndex);
    const endTrailerLen = typeLine.length + PEM_END_OF_LINE.length;
    if (endTrailer.length < endTrailerLen) continue;
    const restOfEndLine = endTrailer.subarray(endTrailerLen);
    endTrailer = endTrailer.subarray(0, endTrailerLen);
    if (!hasPrefix(endTrailer, typeLine) || !hasSuffix(endTrailer, PEM_END_OF_LINE)) continue;
    if (getLine(restOfEndLine)[0].length !== 0) continue;

    const body = goBase64StdDecode(removeSpacesAndTabs(rest.subarray(0, endIndex)));
    if (body === null) continue;

    const after = getLine(rest.subarray(endIndex + PEM_END.length - 1))[1];
    return {
      block: {
        type: typeLine.toString("latin1"),
        headers,
        bytes: new Uint8Array(body),
      },
      rest: after,
    };
  }
}

/** Decodes every PEM block in order (Go's `for { b, rest = pem.Decode(rest) }` loop). `rest` is what follows the last block (the whole input if there is none). */
export function decodeAllPem(input: Uint8Array): {
  blocks: PemBlock[];
  rest: Uint8Array;
} {
  const blocks: PemBlock[] = [];
  let rest = input;
  for (;;) {
    const r = decodePem(rest);
    if (r === null) return { blocks, rest };
    blocks.push(r.block);
    rest = r.rest;
  }
}
