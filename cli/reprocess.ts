/** `nianbao reprocess` and `nianbao import` (issue 4): not built yet. */
import type { Config } from "../src/config.js";

export async function reprocessCommand(_config: Config, _args: string[]): Promise<number> {
  process.stderr.write("nianbao: reprocess is not available yet\n");
  return 2;
}

export async function importCommand(_config: Config, _args: string[]): Promise<number> {
  process.stderr.write("nianbao: import is not available yet\n");
  return 2;
}
