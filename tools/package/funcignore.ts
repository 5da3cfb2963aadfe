// .funcignore (gitignore syntax, read by Core Tools' publish): the package ships exactly the staged files it does not
// exclude, so `func azure functionapp publish` run in the stage and the zip agree.
import { readFileSync } from "node:fs";
import ignore from "ignore";

export function funcIgnore(path: string): (file: string) => boolean {
  const ig = ignore().add(readFileSync(path, "utf8"));
  return (file) => ig.ignores(file);
}
