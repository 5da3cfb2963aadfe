// DER building for test fixtures: the renderer's own writers (what is under test is parsing, and the upstream
// oracle judges every fixture) plus the few shapes only fixtures need.
import { bigToBytes, bytesToBig, der, DER_NULL, derBitString, derInt, derOctets, derOid, derSeq } from "../../../shared/render/der.js";

export const tlv = der;
export const seq = derSeq;
export const set = (...items: Uint8Array[]) => der(0x31, Buffer.concat(items));
export const octets = derOctets;
export const bitString = derBitString;
export const NULL = DER_NULL;
export const int = derInt;
export const oid = derOid;
export const explicit = (n: number, inner: Uint8Array) => der(0xa0 + n, inner);
export const bool = (v: boolean) => der(0x01, Buffer.from([v ? 0xff : 0]));
export const utf8 = (s: string) => der(0x0c, Buffer.from(s, "utf8"));
export const bmp = (s: string) => der(0x1e, Buffer.from(s, "utf16le").swap16());
export const utcTime = (d: Date) => der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z", "latin1"));
export { bigToBytes, bytesToBig };
