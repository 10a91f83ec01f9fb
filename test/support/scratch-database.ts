import { afterAll, beforeAll } from 'vitest';
import { postgresServer, scratchDatabase } from './postgres.js';

/** A scratch database for the calling test file (made before its tests, dropped after); returns its URL. */
export function useScratchDatabase(): () => string {
  let db: { url: string; drop: () => Promise<void> } | undefined;
  beforeAll(async () => {
    db = await scratchDatabase(await postgresServer());
  }, 600_000);
  afterAll(async () => {
    await db?.drop();
  });
  return () => {
    if (!db) throw new Error('the scratch database is made in beforeAll: read its URL inside a test');
    return db.url;
  };
}
