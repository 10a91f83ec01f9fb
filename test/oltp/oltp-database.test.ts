import { afterAll, describe, expect, it } from 'vitest';
import {
  openOltpDatabase,
  OltpUnavailableError,
  OltpUrlError,
} from '../../lib/adapters/oltp/oltp-database.js';
import type { OltpDatabase } from '../../lib/core/oltp/ports.js';
import { useScratchDatabase } from '../support/scratch-database.js';

const scratch = useScratchDatabase();

const USER = [
  'INSERT INTO users (user_id, display_name, email, country, channel, signed_up_at, updated_at)',
  "VALUES ($1, 'Ada', $2, 'GB', 'web', now(), now())",
].join(' ');

describe.each(['pglite', 'postgres'] as const)('the marketplace database on %s', (kind) => {
  const opened: OltpDatabase[] = [];
  const open = async (): Promise<OltpDatabase> => {
    const db = await openOltpDatabase(kind === 'pglite' ? 'pglite' : scratch());
    opened.push(db);
    return db;
  };
  afterAll(async () => {
    for (const db of opened) await db.close();
  });

  it('creates the schema, and creating it again changes nothing', async () => {
    const db = await open();
    await db.migrate();
    await db.query(USER, ['u_1', 'a@example.com']);
    await db.migrate();
    const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM users');
    expect(rows).toEqual([{ n: 1 }]);
    const tables = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(['bids', 'items', 'outbox', 'users']);
  });

  it('commits a transaction whole, and rolls one back whole when its work throws', async () => {
    const db = await open();
    await db.migrate();
    await db.query('DELETE FROM users');
    await db.transaction(async (tx) => {
      await tx.query(USER, ['u_2', 'b@example.com']);
      await tx.query(USER, ['u_3', 'c@example.com']);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query(USER, ['u_4', 'd@example.com']);
        await tx.query(USER, ['u_5', 'b@example.com']); // the e-mail is taken: unique violation
      }),
    ).rejects.toThrow(/unique|duplicate/i);
    const { rows } = await db.query<{ user_id: string }>('SELECT user_id FROM users ORDER BY 1');
    expect(rows.map((r) => r.user_id)).toEqual(['u_2', 'u_3']);
  });

  it('returns int8 as numbers and timestamptz as dates, alike on both drivers', async () => {
    const db = await open();
    const { rows } = await db.query<{ n: unknown; big: unknown; at: unknown }>(
      "SELECT 5::int8 AS n, 9007199254740993::int8 AS big, '2026-12-03T10:00:00Z'::timestamptz AS at",
    );
    expect(rows[0]).toEqual({ n: 5, big: '9007199254740993', at: new Date('2026-12-03T10:00:00Z') });
  });
});

describe('opening the marketplace database', () => {
  it('names an unknown scheme in one line', async () => {
    await expect(openOltpDatabase('mysql://db.example/shop')).rejects.toThrow(OltpUrlError);
    await expect(openOltpDatabase('pglite:')).rejects.toThrow(/no directory after pglite:/);
  });

  it('says which server it could not reach, without the password', async () => {
    const error = await openOltpDatabase('postgres://shop:s3cret-pass@127.0.0.1:1/shop').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OltpUnavailableError);
    expect((error as Error).message).toMatch(
      /^cannot connect to the marketplace database at postgres:\/\/127\.0\.0\.1:1\/shop: /,
    );
    expect((error as Error).message).not.toContain('s3cret-pass');
  });
});
