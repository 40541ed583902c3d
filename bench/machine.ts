/** The machine and software a run was made on, for the table header and the JSON. */
import { spawnSync } from "node:child_process";
import os from "node:os";
import { PIPELINE_VERSION } from "../src/process.js";
import { mb } from "./stats.js";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  availableParallelism: number;
  ramMb: number;
  freeRamMb: number;
  node: string;
  v8: string;
  platform: string;
  loadAverage: number[];
  pipelineVersion: string;
  gitCommit: string | null;
  gitDirty: boolean | null;
}

function git(args: string[], cwd: string): string | null {
  const r = spawnSync("git", args, { cwd, encoding: "utf8", timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function machineInfo(repoRoot: string): MachineInfo {
  const cpus = os.cpus();
  const status = git(["status", "--porcelain", "--untracked-files=no"], repoRoot);
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    ramMb: Math.round(mb(os.totalmem())),
    freeRamMb: Math.round(mb(os.freemem())),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    pipelineVersion: PIPELINE_VERSION,
    gitCommit: git(["rev-parse", "--short=12", "HEAD"], repoRoot),
    gitDirty: status === null ? null : status.length > 0,
  };
}

export function describeMachine(m: MachineInfo): string[] {
  const git = m.gitCommit ? `git ${m.gitCommit}${m.gitDirty ? " (uncommitted changes)" : ""}` : "git unknown";
  return [
    `machine   ${m.cpuModel}, ${m.cores} cores, ${(m.ramMb / 1024).toFixed(1)} GiB RAM (${(m.freeRamMb / 1024).toFixed(1)} free)`,
    `software  Node ${m.node} (V8 ${m.v8}), ${m.platform}; nianbao ${m.pipelineVersion}, ${git}`,
    `load avg  ${m.loadAverage.join(" ")} (1/5/15 min) at start — other load on the machine skews wall times`,
  ];
}
