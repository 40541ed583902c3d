/** `nianbao dashboard` (issue 5): not built yet. */
import type { Config } from "../src/config.js";

export async function dashboardCommand(_config: Config, _args: string[]): Promise<number> {
  process.stderr.write("nianbao: dashboard is not available yet\n");
  return 2;
}
