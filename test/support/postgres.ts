import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { packageRoot } from '../../lib/package-paths.js';
import { runServiceScript } from './service-script.js';

/**
 * The URL of a running PostgreSQL server: `ELT_PG_URL` when set, otherwise the repository's own server,
 * started (and installed from Debian's packages when missing) by scripts/services/postgres.sh. Fails with
 * the script's explanation when the server cannot start: the suite must not pass without it.
 */
export async function postgresServer(): Promise<string> {
  if (process.env.ELT_PG_URL) return process.env.ELT_PG_URL;
  try {
    const stdout = await runServiceScript(join(packageRoot(), 'scripts', 'services', 'postgres.sh'), ['up']);
    return stdout.trim().split('\n').at(-1)!;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(
      `PostgreSQL could not be started by scripts/services/postgres.sh: ${e.stderr?.trim() || e.message}`,
    );
  }
}

/** A new, empty database on the server, for one suite; returns its URL and a function that drops it. */
export async function scratchDatabase(
  serverUrl: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `elt_test_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
