// `npm run prepare`: builds after `npm ci` / `npm install`.
//
// npx runs it too, when `npx nianbao` links this package into its cache. Before `npm ci` there
// is no TypeScript to build with; failing here would leave npx's cache half-made, and every
// later `npx nianbao` would fail (ENOENT on the cache's package.json) even after `npm ci`.
// So without TypeScript it says so and succeeds; bin/nianbao.js then explains what to do.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

if (!existsSync(new URL("../node_modules/typescript/package.json", import.meta.url))) {
  console.error("nianbao: TypeScript is not installed yet, so nothing was built: run `npm ci`");
  process.exit(0);
}
const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
process.exit(build.status ?? 1);
