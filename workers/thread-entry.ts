/**
 * Where a parser thread starts (extract-pool.ts). It runs extract-thread.ts as the one script
 * `npm run build` bundles it into (scripts/bundle-thread.mjs: the core, pdf-parse, pdf.js's
 * main bundle, zod …), through V8's code cache (src/extract/pdf/code-cache.ts): the thread
 * then reads compiled code instead of compiling about 3 MB of JavaScript, a third of the CPU
 * of a one-file `nianbao extract`. The cache is written by the first thread that finds none,
 * as soon as the bundle has loaded (what a first document adds to it was not worth waiting
 * for: 0.40 against 0.42 s for one file).
 *
 * Without the bundle (a build without esbuild), or if it does not compile, the thread imports
 * extract-thread.js as modules, as before. So it does, with a warning, when the bundle is older
 * than the modules it was built from (bundle-check.ts): `tsc` alone leaves the bundle as it was,
 * and `npm run build` rebuilds it.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { codeCacheDir, compileCached } from "../src/extract/pdf/code-cache.js";
import { bundleState } from "./bundle-check.js";

const bundle = fileURLToPath(new URL("./extract-thread.bundle.cjs", import.meta.url));

function runBundle(): boolean {
  if (!existsSync(bundle)) return false;
  const state = bundleState(bundle);
  if (!state.current) {
    process.emitWarning(`the parser thread's bundle is out of date (${state.reason}): running its modules instead; \`npm run build\` rebuilds it`, {
      code: "NIANBAO_STALE_BUNDLE",
    });
    return false;
  }
  // The wrapper Node gives a CommonJS module.
  const script = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "utf8")}\n})`;
  const cached = compileCached(script, "extract-thread", bundle, codeCacheDir());
  if (cached === null) return false;
  const module = { exports: {} };
  const run = cached.value as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
  run(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
  cached.save();
  return true;
}

if (!runBundle()) await import("./extract-thread.js");
