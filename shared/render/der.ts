// DER reading with the exact acceptance rules of Go's encoding/asn1 (as the provider's and the driver's
// golang.org/x/crypto/pkcs12 and crypto/x509 use it), and the few DER writers the renderer needs.
// Go is strict about encodings (minimal lengths and integers, no indefinite length) but lenient about
// structure: a struct ignores elements after its last field, an optional field that does not match is skipped,
// an `asn1.RawValue` matches any tag. Cursor reproduces those struct rules; `one` is pkcs12's `unmarshal`
// (exactly one element, nothing after it); `first` is asn1.Unmarshal (the rest is returned, not checked).

/** A structure is not what Go would accept. */
export class Asn1Error extends Error {
  override readonly name = "Asn1Error";
}

export const UNIVERSAL = 0;
export const CONTEXT = 2;
export const TAG = { BOOLEAN: 1, INTEGER: 2, BIT_STRING: 3, OCTET_STRING: 4, NULL: 5, OID: 6, SEQUENCE: 16, SET: 17 } as const;

export interface Tlv {
  cls: number;
  constructed: boolean;
  tag: number;
  /** the contents octets */
  value: Buffer;
  /** the whole element */
  raw: Buffer;
}

/** Go's parseBase128Int. */
function base128(buf: Buffer, offset: number): { v: number; next: number } {
  let v = 0;
  for (let shifted = 0; offset < buf.length; shifted++) {
    if (shifted === 5) throw new Asn1Error("base 128 integer too large");
    const b = buf[offset]!;
    if (shifted === 0 && b === 0x80) throw new Asn1Error("integer is not minimally encoded");
    v = v * 128 + (b & 0x7f);
    offset++;
    if ((b & 0x80) === 0) {
      if (v > 0x7fffffff) throw new Asn1Error("base 128 integer too large");
      return { v, next: offset };
    }
  }
  throw new Asn1Error("truncated base 128 integer");
}

/** Go's parseTagAndLength plus the length check; `offset` must be inside `buf`. */
export function readTlv(buf: Buffer, offset: number): { tlv: Tlv; next: number } {
  const start = offset;
  const b0 = buf[offset++]!;
  const cls = b0 >> 6;
  const constructed = (b0 & 0x20) !== 0;
  let tag = b0 & 0x1f;
  if (tag === 0x1f) {
    ({ v: tag, next: offset } = base128(buf, offset));
    if (tag < 0x1f) throw new Asn1Error("non-minimal tag");
  }
  if (offset >= buf.length) throw new Asn1Error("truncated tag or length");
  const l0 = buf[offset++]!;
  let length = l0 & 0x7f;
  if (l0 & 0x80) {
    const n = l0 & 0x7f;
    if (n === 0) throw new Asn1Error("indefinite length found (not DER)");
    length = 0;
    for (let i = 0; i < n; i++) {
      if (offset >= buf.length) throw new Asn1Error("truncated tag or length");
      if (length >= 1 << 23) throw new Asn1Error("length too large");
      length = length * 256 + buf[offset++]!;
      if (length === 0) throw new Asn1Error("superfluous leading zeros in length");
    }
    if (length < 0x80) throw new Asn1Error("non-minimal length");
  }
  const end = offset + length;
  if (end > buf.length) throw new Asn1Error("data truncated");
  return { tlv: { cls, constructed, tag, value: buf.subarray(offset, end), raw: buf.subarray(start, end) }, next: end };
}

/** asn1.Unmarshal: the first element; what follows is returned. */
export function first(input: Uint8Array): { tlv: Tlv; rest: Buffer } {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length === 0) throw new Asn1Error("sequence truncated");
  const { tlv, next } = readTlv(buf, 0);
  return { tlv, rest: buf.subarray(next) };
}

/** pkcs12's `unmarshal`: exactly one element. */
export function one(input: Uint8Array): Tlv {
  const { tlv, rest } = first(input);
  if (rest.length !== 0) throw new Asn1Error("trailing data found");
  return tlv;
}

export const isUniversal = (t: Tlv, tag: number, constructed: boolean) =>
  t.cls === UNIVERSAL && t.tag === tag && t.constructed === constructed;

/** A matcher for one Go struct field. */
export type Want = (t: Tlv) => boolean;
export const want = {
  seq: (t: Tlv) => isUniversal(t, TAG.SEQUENCE, true),
  set: (t: Tlv) => isUniversal(t, TAG.SET, true),
  int: (t: Tlv) => isUniversal(t, TAG.INTEGER, false),
  oid: (t: Tlv) => isUniversal(t, TAG.OID, false),
  octets: (t: Tlv) => isUniversal(t, TAG.OCTET_STRING, false),
  bits: (t: Tlv) => isUniversal(t, TAG.BIT_STRING, false),
  any: () => true,
  /** `asn1:"tag:n"` (implicit) on a primitive field */
  implicit: (n: number) => (t: Tlv) => t.cls === CONTEXT && t.tag === n && !t.constructed,
} as const;

/**
 * The fields of one Go struct, in order, over a SEQUENCE's contents. Elements after the last field are ignored,
 * as Go does.
 */
export class Cursor {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  static of(t: Tlv): Cursor {
    if (!want.seq(t)) throw new Asn1Error("tags don't match (expected a SEQUENCE)");
    return new Cursor(t.value);
  }

  /** A required field. */
  take(match: Want, what: string): Tlv {
    const t = this.maybe(match);
    if (t) return t;
    throw new Asn1Error(this.offset >= this.buf.length ? `sequence truncated (${what})` : `tags don't match (${what})`);
  }

  /** An optional field: undefined (and nothing consumed) when absent or of another tag. */
  maybe(match: Want): Tlv | undefined {
    if (this.offset >= this.buf.length) return undefined;
    const { tlv, next } = readTlv(this.buf, this.offset);
    if (!match(tlv)) return undefined;
    this.offset = next;
    return tlv;
  }

  /** Go's explicit-tag prologue: the [n] wrapper at the cursor, or why it does not match. */
  private wrapper(n: number, what: string): { tlv: Tlv; contentStart: number; next: number } | "absent" | "mismatch" {
    if (this.offset >= this.buf.length) return "absent";
    const { tlv, next } = readTlv(this.buf, this.offset);
    const contentStart = next - tlv.value.length;
    // Go checks this before the tag: a zero-length element that ends the enclosing structure is an error.
    if (contentStart === this.buf.length) throw new Asn1Error(`explicit tag has no child (${what})`);
    if (!(tlv.cls === CONTEXT && tlv.tag === n && (tlv.value.length === 0 || tlv.constructed))) return "mismatch";
    return { tlv, contentStart, next };
  }

  /** `asn1.RawValue` with `explicit,tag:n`: the wrapper itself (its `value` is RawValue.Bytes). */
  explicitRaw(n: number, what: string, optional = false): Tlv | undefined {
    const w = this.wrapper(n, what);
    if (typeof w === "string") {
      if (optional) return undefined;
      throw new Asn1Error(w === "absent" ? `sequence truncated (${what})` : `explicitly tagged member didn't match (${what})`);
    }
    this.offset = w.next;
    return w.tlv;
  }

  /** Any other field with `explicit,tag:n`: the wrapper's first element, which must match. */
  explicit(n: number, match: Want, what: string, optional = false): Tlv | undefined {
    const w = this.wrapper(n, what);
    const fail = (msg: string) => {
      if (optional) return undefined;
      throw new Asn1Error(`${msg} (${what})`);
    };
    if (w === "absent") return fail("sequence truncated");
    if (w === "mismatch") return fail("explicitly tagged member didn't match");
    if (w.tlv.value.length === 0) throw new Asn1Error(`zero length explicit tag was not an asn1.Flag (${what})`);
    const { tlv, next } = readTlv(this.buf, w.contentStart);
    if (!match(tlv)) return fail("tags don't match");
    // Go continues right after the inner element (anything else inside the wrapper is read as the next field).
    this.offset = next;
    return tlv;
  }
}

/** Elements of a SEQUENCE OF / SET OF whose elements must all carry `match` (Go's parseSequenceOf). */
export function elements(t: Tlv, match: Want, what: string): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < t.value.length;) {
    const { tlv, next } = readTlv(t.value, off);
    if (!match(tlv)) throw new Asn1Error(`sequence tag mismatch (${what})`);
    out.push(tlv);
    off = next;
  }
  return out;
}

function checkInteger(v: Buffer): void {
  if (v.length === 0) throw new Asn1Error("empty integer");
  if (v.length > 1 && ((v[0] === 0 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
    throw new Asn1Error("integer not minimally-encoded");
  }
}

/** A big.Int field. */
export function bigIntOf(t: Tlv): bigint {
  checkInteger(t.value);
  const n = BigInt("0x" + t.value.toString("hex"));
  return BigInt.asIntN(t.value.length * 8, n);
}

/** An `int` field (int64 on the platforms the provider ships for). */
export function intOf(t: Tlv): number {
  checkInteger(t.value);
  if (t.value.length > 8) throw new Asn1Error("integer too large");
  return Number(bigIntOf(t));
}

/** An ObjectIdentifier field, dotted. */
export function oidOf(t: Tlv): string {
  if (t.value.length === 0) throw new Asn1Error("zero length OBJECT IDENTIFIER");
  let { v, next } = base128(t.value, 0);
  const arcs = v < 80 ? [Math.floor(v / 40), v % 40] : [2, v - 80];
  while (next < t.value.length) {
    ({ v, next } = base128(t.value, next));
    arcs.push(v);
  }
  return arcs.join(".");
}

/** A BitString field's bytes. */
export function bitStringOf(t: Tlv): Buffer {
  const b = t.value;
  if (b.length === 0) throw new Asn1Error("zero length BIT STRING");
  const pad = b[0]!;
  if (pad > 7 || (b.length === 1 && pad > 0) || (b[b.length - 1]! & ((1 << pad) - 1)) !== 0)
    throw new Asn1Error("invalid padding bits in BIT STRING");
  return b.subarray(1);
}

// ---------------------------------------------------------------------------------------------------------------
// writers (Go's asn1.Marshal output for the shapes used here)

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export const der = (tagByte: number, content: Uint8Array): Buffer =>
  Buffer.concat([Buffer.from([tagByte]), length(content.length), content]);
export const derSeq = (...items: Uint8Array[]) => der(0x30, Buffer.concat(items));
export const derOctets = (b: Uint8Array) => der(0x04, b);
export const derBitString = (b: Uint8Array) => der(0x03, Buffer.concat([Buffer.from([0]), b]));
export const DER_NULL = Buffer.from([0x05, 0x00]);

export function derOid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const tmp = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) tmp.unshift((v & 0x7f) | 0x80);
    out.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return der(0x06, Buffer.from(out));
}

/** INTEGER of a signed value, minimally encoded (Go's asn1 for int and *big.Int). */
export function derInt(v: bigint | number): Buffer {
  let x = BigInt(v);
  const bytes: number[] = [];
  for (;;) {
    bytes.unshift(Number(BigInt.asUintN(8, x)));
    x >>= 8n;
    const top = bytes[0]!;
    if ((x === 0n && (top & 0x80) === 0) || (x === -1n && (top & 0x80) !== 0)) break;
  }
  return der(0x02, Buffer.from(bytes));
}

/** Unsigned big-endian bytes (no sign byte) of a non-negative value, left-padded to `len`. */
export function bigToBytes(v: bigint, len = 0): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  const b = v === 0n ? Buffer.alloc(0) : Buffer.from(hex, "hex");
  return b.length >= len ? b : Buffer.concat([Buffer.alloc(len - b.length), b]);
}

export const bytesToBig = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt("0x" + Buffer.from(b).toString("hex")));
