// Go's string rules where the provider applies them to SPC fields: strings.TrimSpace (unicode.IsSpace) and
// strings.EqualFold (Unicode simple case folding). JavaScript's trim() and toLowerCase() differ: trim() strips
// U+FEFF and U+200B-less sets differently (U+FEFF yes, U+0085 no), and lower-casing does not fold `ſ` to `s`.

/** unicode.IsSpace: the Latin-1 spaces (incl. U+0085, U+00A0) and the White_Space property, not U+FEFF. */
export function goIsSpace(cp: number): boolean {
  switch (cp) {
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x20:
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200a;
  }
}

/** strings.TrimSpace. */
export function goTrimSpace(s: string): string {
  const cps = [...s];
  let a = 0;
  let b = cps.length;
  while (a < b && goIsSpace(cps[a]!.codePointAt(0)!)) a++;
  while (b > a && goIsSpace(cps[b - 1]!.codePointAt(0)!)) b--;
  return cps.slice(a, b).join("");
}

/** A code point's simple case-fold class (one code point in, one out; multi-character mappings do not fold). */
function foldKey(ch: string): string {
  const lower = ch.toLowerCase();
  const l = [...lower].length === 1 ? lower : ch;
  const upper = l.toUpperCase();
  return [...upper].length === 1 ? upper : l;
}

/** strings.EqualFold: equal under simple Unicode case folding (so `baſe64` equals `base64`, `K` (Kelvin) equals `k`). */
export function goEqualFold(a: string, b: string): boolean {
  const x = [...a];
  const y = [...b];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && foldKey(x[i]!) !== foldKey(y[i]!)) return false;
  return true;
}
