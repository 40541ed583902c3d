#!/usr/bin/env node
// The `nianbao` command: the compiled CLI, or a clear message when it has not been built yet.
import { existsSync } from "node:fs";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("nianbao: not built yet: run `npm ci` (or `npm run build`) in the repository first\n");
  process.exit(1);
}
await import(main.href);
