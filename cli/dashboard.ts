/**
 * `nianbao dashboard [--host H] [--port P]`: the queue dashboard, /metrics and the results
 * pages (dashboard/server.ts). `nianbao start` runs the same dashboard beside the workers.
 */
import { parseArgs } from "node:util";
import { exitStatus } from "../src/failures.js";
import type { Config } from "../src/config.js";
import { openConfiguredStore } from "../src/store/index.js";
import { createLogger } from "../workers/log.js";
import { DashboardStartError, startDashboard } from "../dashboard/server.js";

export const DASHBOARD_USAGE = "usage: nianbao dashboard [--host HOST] [--port PORT]   (default DASHBOARD_HOST, DASHBOARD_PORT)";

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => resolve(sig);
    process.once("SIGINT", on("SIGINT"));
    process.once("SIGTERM", on("SIGTERM"));
  });
}

export async function dashboardCommand(config: Config, args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { host: { type: "string" }, port: { type: "string" }, help: { type: "boolean", short: "h" } } }));
  } catch (e) {
    process.stderr.write(`nianbao: ${(e as Error).message}\n${DASHBOARD_USAGE}\n`);
    return exitStatus("usage");
  }
  if (values.help) {
    process.stdout.write(`${DASHBOARD_USAGE}\n`);
    return 0;
  }
  const port = values.port === undefined ? config.DASHBOARD_PORT : Number(values.port);
  if (port !== "off" && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    process.stderr.write(`nianbao: --port must be a port number (0-65535), not ${values.port}\n`);
    return exitStatus("usage");
  }
  const cfg: Config = { ...config, DASHBOARD_HOST: values.host ?? config.DASHBOARD_HOST, DASHBOARD_PORT: port };
  const log = createLogger(cfg.LOG_LEVEL);
  const store = openConfiguredStore(cfg);
  try {
    await store.init();
    const running = await startDashboard(cfg, { store, log });
    const sig = await untilSignal();
    log.info({ signal: sig }, "dashboard stopping");
    await running.close();
    return 0;
  } catch (e) {
    if (!(e instanceof DashboardStartError)) throw e;
    process.stderr.write(`nianbao: ${e.message}\n`);
    return e.exitCode;
  } finally {
    await store.close();
  }
}
