/**
 * Is Redis taking writes? A Redis at its `maxmemory` with `noeviction` (the policy the queues
 * need) still answers PING and every read, and refuses every write ("OOM command not
 * allowed…"): uploads then wait, unseen, unless someone asks. This asks: INFO memory
 * (used_memory against maxmemory) and one small write that expires by itself.
 */
import type { Redis } from "ioredis";

export interface RedisHealth {
  /** used_memory, in bytes. */
  usedMemory: number;
  /** maxmemory, in bytes (0: no limit). */
  maxMemory: number;
  policy: string;
  /** Whether the probe write was taken. */
  writable: boolean;
  /** Why the probe write was refused (Redis's own message), or null. */
  writeError: string | null;
}

const field = (info: string, name: string): string | undefined => new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim();

/** Reads the memory figures and tries one write (`<prefix>:health`, expiring after 10 s). Throws when Redis does not answer. */
export async function redisHealth(redis: Redis, prefix: string): Promise<RedisHealth> {
  const info = await redis.info("memory");
  let writeError: string | null = null;
  try {
    await redis.set(`${prefix}:health`, String(Date.now()), "PX", 10_000);
  } catch (e) {
    // Not connected at all is not "refuses writes": let the caller see it as unreachable.
    if (redis.status !== "ready") throw e;
    writeError = (e as Error).message;
  }
  return {
    usedMemory: Number(field(info, "used_memory") ?? 0),
    maxMemory: Number(field(info, "maxmemory") ?? 0),
    policy: field(info, "maxmemory_policy") ?? "unknown",
    writable: writeError === null,
    writeError,
  };
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** One line for `status` and the logs: null when Redis takes writes and has room. */
export function redisHealthLine(h: RedisHealth): string | null {
  const memory = h.maxMemory > 0 ? `used_memory ${mib(h.usedMemory)} of maxmemory ${mib(h.maxMemory)}, policy ${h.policy}` : `used_memory ${mib(h.usedMemory)}, no maxmemory`;
  if (!h.writable) return `Redis refuses writes (${memory}): ${h.writeError ?? ""}. Uploads wait until it has room; nothing is lost.`;
  if (h.maxMemory > 0 && h.usedMemory >= h.maxMemory) return `Redis is full (${memory}): writes will be refused.`;
  return null;
}
