// Zip read and write with fflate. Entries carry a fixed timestamp so the same files always give the same zip.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync, zipSync, type Zippable } from "fflate";

const FIXED_MTIME = new Date("2000-01-01T00:00:00Z");

/** Zips `files` (paths relative to `dir`, forward slashes) into a buffer. */
export function zipFiles(dir: string, files: readonly string[]): Uint8Array {
  const entries: Zippable = {};
  for (const f of [...files].sort()) entries[f] = [readFileSync(join(dir, f)), { mtime: FIXED_MTIME, level: 9 }];
  return zipSync(entries);
}

/** The entries of a zip: path → bytes (directories omitted). */
export function readZip(data: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [name, bytes] of Object.entries(unzipSync(data))) if (!name.endsWith("/")) out.set(name, bytes);
  return out;
}
