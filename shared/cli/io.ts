// What a CLI run talks to (streams, environment, an injectable runtime) and the exit codes it returns.
import type { Config } from "../config/config.js";
import type { Runtime } from "../pipeline/runtime.js";
import type { ProgressStream } from "./progress.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: { write(s: string): unknown };
  stderr: ProgressStream;
  /** Whole stdin as text (event -). */
  readStdin(): Promise<string>;
  /** Tests inject a runtime; otherwise built from the configuration. */
  runtime?: (config: Config) => Runtime;
}
