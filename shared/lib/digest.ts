// Digests. Names and versions may be hashed plainly; values only with a key (an unkeyed hash of a short secret is the
// secret: anyone can hash the 10^6 six-digit PINs).
import { createHash, createHmac, randomBytes } from "node:crypto";

/** SHA-256 hex prefix of names/versions (never of a secret value). */
export function nameDigest(s: string, len = 12): string {
  return createHash("sha256").update(s).digest("hex").slice(0, len);
}

/** A keyed digest of values: HMAC-SHA-256, hex prefix. */
export class KeyedDigest {
  private readonly key: Buffer;
  /** With no key, a random per-process key: digests then only compare within this process and are never shown. */
  constructor(key?: string) {
    this.key = key ? Buffer.from(key, "utf8") : randomBytes(32);
    this.shown = !!key;
  }
  /** Whether digests may appear in reports and Events (only with an operator-provided key). */
  readonly shown: boolean;
  of(...parts: (string | Uint8Array)[]): string {
    const h = createHmac("sha256", this.key);
    for (const p of parts) {
      const b = typeof p === "string" ? Buffer.from(p, "utf8") : p;
      h.update(String(b.length)).update(":").update(b);
    }
    return h.digest("hex").slice(0, 32);
  }
}
