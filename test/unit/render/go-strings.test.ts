import { describe, expect, it } from "vitest";
import { goEqualFold, goTrimSpace } from "../../../shared/render/index.js";

describe("Go string rules the provider applies to SPC fields", () => {
  it("TrimSpace strips U+0085 and U+3000 but keeps U+FEFF and U+200B (JavaScript's trim() does the opposite for some)", () => {
    expect(goTrimSpace("\u0085\t secret \u3000\n")).toBe("secret");
    expect(goTrimSpace("\ufeffsecret\u200b")).toBe("\ufeffsecret\u200b");
  });

  it("EqualFold folds Unicode case: ſ is s, K (Kelvin) is k, but é is not e", () => {
    expect(goEqualFold("baſe64", "base64")).toBe(true);
    expect(goEqualFold("BASE64", "base64")).toBe(true);
    expect(goEqualFold("\u212Aey", "key")).toBe(true);
    expect(goEqualFold("héx", "hex")).toBe(false);
    expect(goEqualFold("utf8", "utf-8")).toBe(false);
  });
});
