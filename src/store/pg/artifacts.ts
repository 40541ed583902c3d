/** PgStore's artifacts: the table `artifacts`, one row per key. */
import type pg from "pg";
import type { ArtifactStore } from "../types.js";

/** Artifact keys must stay distinct, so they are escaped (reversibly) rather than replaced. */
const artifactKey = (key: string) => key.replaceAll("%", "%25").replaceAll("\u0000", "%00");

export class PgArtifactStore implements ArtifactStore {
  constructor(private readonly pool: pg.Pool) {}

  async putArtifact(key: string, data: string): Promise<void> {
    // Artifacts are JSON, which never holds a raw NUL; anything else is a caller's bug.
    if (data.includes("\u0000")) throw new Error(`artifact ${JSON.stringify(key)}: data contains NUL, which PostgreSQL text cannot hold`);
    await this.pool.query(
      `INSERT INTO artifacts (key, data) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, stored_at = now()`,
      [artifactKey(key), data],
    );
  }

  async getArtifact(key: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ data: string }>("SELECT data FROM artifacts WHERE key = $1", [artifactKey(key)]);
    return rows[0]?.data ?? null;
  }

  async hasArtifact(key: string): Promise<boolean> {
    const { rowCount } = await this.pool.query("SELECT 1 FROM artifacts WHERE key = $1", [artifactKey(key)]);
    return (rowCount ?? 0) > 0;
  }
}
