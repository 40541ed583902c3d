/**
 * The Dockerfile and docker-compose.yml, checked without Docker (.ci/docker-context.mjs
 * --static): every file `npm ci` needs is copied from a clean checkout, the image runs as a
 * non-root user, the compose images are pinned, ports are published on 127.0.0.1 only, and
 * the long-running services have healthchecks. CI (.ci/run) runs the same script without
 * --static: the image's install line in a folder holding exactly the copied files.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("docker context", () => {
  it("passes the static checks of .ci/docker-context.mjs", () => {
    const script = new URL("../.ci/docker-context.mjs", import.meta.url).pathname;
    const r = spawnSync(process.execPath, [script, "--static"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/compose and Dockerfile checks ok/);
  });
});
