/** `nianbao report` (issue 4): not built yet. */
import type { Config } from "../src/config.js";

export async function reportCommand(_config: Config, _args: string[]): Promise<number> {
  process.stderr.write("nianbao: report is not available yet\n");
  return 2;
}
