/**
 * The package version, in a module of its own: `nianbao extract` needs it on its main thread,
 * which must not load the extractors (its parser thread does).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package version, read from the nearest package.json (works from src/ and from dist/). */
export const PIPELINE_VERSION: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, "package.json");
    if (existsSync(p)) return (JSON.parse(readFileSync(p, "utf8")) as { version: string }).version;
    const up = dirname(dir);
    if (up === dir) return "0.0.0";
    dir = up;
  }
})();
