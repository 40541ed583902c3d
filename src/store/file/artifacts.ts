/**
 * The file store's artifacts: one file per key, `<root>/artifacts/<safeSegment(key)>.json`,
 * replaced atomically. Keys may come from anywhere, so they are sanitised (distinct keys stay
 * distinct: see safeSegment).
 */
import { mkdir } from "node:fs/promises";
import type { ArtifactStore } from "../types.js";
import { exists, readText, writeAtomic } from "./fs.js";
import { WriteQueue } from "./lock.js";
import { safeSegment, type StoreRoot } from "./paths.js";

export class FileArtifactStore implements ArtifactStore {
  constructor(
    private readonly root: StoreRoot,
    private readonly queue = new WriteQueue(),
  ) {}

  async init(): Promise<void> {
    await mkdir(this.root.path("artifacts"), { recursive: true });
  }

  async putArtifact(key: string, data: string): Promise<void> {
    const file = this.file(key);
    await this.queue.run(() => writeAtomic(file, data));
  }

  async getArtifact(key: string): Promise<string | null> {
    return readText(this.file(key));
  }

  async hasArtifact(key: string): Promise<boolean> {
    return exists(this.file(key));
  }

  private file(key: string): string {
    return this.root.path("artifacts", `${safeSegment(key)}.json`);
  }
}
