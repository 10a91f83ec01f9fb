import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openOltpDatabase } from '../../lib/adapters/oltp/oltp-database.js';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { OLTP_EXTRACT_PREFIX } from '../../lib/core/landing/object-keys.js';
import {
  EXTRACT_TABLES,
  extractTables,
  type ExtractEnvelope,
  type ExtractLine,
  type ExtractMode,
  type ExtractTable,
} from '../../lib/core/oltp/extract.js';
import type { OltpDatabase } from '../../lib/core/oltp/ports.js';
import { systemClock } from '../../lib/core/ports.js';
import { readRecords } from '../support/objects.js';
import { useScratchDatabase } from '../support/scratch-database.js';
import { useTempDirs } from '../support/temp-dir.js';

const databaseUrl = useScratchDatabase();
const tempDir = useTempDirs();

let writers: OltpDatabase;
let extractor: OltpDatabase;

beforeAll(async () => {
  writers = await openOltpDatabase(databaseUrl());
  await writers.migrate();
  extractor = await openOltpDatabase(databaseUrl());
});

afterAll(async () => {
  await writers?.close();
  await extractor?.close();
});

const SETTLE_SECONDS = 1;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writers as the application writes: every change sets updated_at = now() (its transaction's start), and
 * every transaction ends well within SETTLE_SECONDS, some only after a pause (a late commit with an older
 * updated_at than changes committed meanwhile).
 */
async function writeUntil(worker: number, stop: { stopped: boolean }): Promise<number> {
  let n = 0;
  const pick = async (table: 'users' | 'items'): Promise<string | undefined> => {
    const key = table === 'users' ? 'user_id' : 'item_id';
    const r = await writers.query<{ k: string }>(
      `SELECT ${key} AS k FROM ${table} ORDER BY random() LIMIT 1`,
    );
    return r.rows[0]?.k;
  };
  while (!stop.stopped) {
    n++;
    const id = `w${worker}-${n}`;
    // Picked before the transaction: every writer holds one pooled connection at most.
    const user = await pick('users');
    const item = await pick('items');
    await writers.transaction(async (tx) => {
      if (worker === 0 || user === undefined) {
        await tx.query(
          `INSERT INTO users (user_id, display_name, email, country, channel, signed_up_at, updated_at)
           VALUES ($1, $2, $3, 'NL', 'android', now(), now())`,
          [`u-${id}`, `User ${id}`, `${id}@example.com`],
        );
        if (n % 4 === 0) {
          await tx.query(
            `UPDATE users SET display_name = display_name || '+', updated_at = now()
             WHERE user_id = (SELECT user_id FROM users WHERE deleted_at IS NULL ORDER BY random() LIMIT 1)`,
          );
        }
        if (n % 7 === 0) {
          await tx.query(
            `UPDATE users SET deleted_at = now(), updated_at = now()
             WHERE user_id = (SELECT user_id FROM users WHERE deleted_at IS NULL ORDER BY random() LIMIT 1)`,
          );
        }
        await tx.query('SELECT pg_sleep(0.02)');
      } else if (worker === 1 || item === undefined) {
        await tx.query(
          `INSERT INTO items (item_id, seller_id, title, category, starting_price_minor, price_minor, currency, status, listed_at, updated_at)
           VALUES ($1, $2, 'A chair', 'home', $3, $3, 'GBP', 'open', now(), now())`,
          [`i-${id}`, user, 100 + n],
        );
        await tx.query(
          `UPDATE items SET price_minor = price_minor + 5, updated_at = now()
           WHERE item_id = (SELECT item_id FROM items ORDER BY random() LIMIT 1)`,
        );
        if (n % 2 === worker % 2) await tx.query('SELECT pg_sleep(0.2)');
      } else {
        // Three bids in one transaction: three rows with the same updated_at.
        for (const b of [1, 2, 3])
          await tx.query(
            `INSERT INTO bids (bid_id, item_id, bidder_id, session_id, amount_minor, currency, placed_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'GBP', now(), now())`,
            [`b-${id}-${b}`, item, user, `s-${worker}`, 1000 + n * 10 + b],
          );
        // Bid writers commit late in turns: the other commits later changes meanwhile.
        if (n % 2 === worker % 2) await tx.query('SELECT pg_sleep(0.3)');
      }
    });
  }
  return n;
}

/** A timestamp as the extract writes it (UTC, microseconds), whatever ISO form PostgreSQL gave. */
function canonicalTime(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(?:Z|\+00(?::00)?)$/.exec(value);
  if (!m) throw new Error(`not a UTC timestamp: ${value}`);
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z`;
}

async function tableRows(table: ExtractTable): Promise<Map<string, Record<string, unknown>>> {
  const key = EXTRACT_TABLES[table].key;
  const r = await writers.query<{ k: string; r: string }>(
    `SELECT ${key} AS k, to_json(t)::text AS r FROM ${table} t`,
  );
  const out = new Map<string, Record<string, unknown>>();
  for (const { k, r: text } of r.rows) {
    const row = JSON.parse(text) as Record<string, unknown>;
    for (const column of Object.keys(row))
      if (column.endsWith('_at')) row[column] = canonicalTime(row[column]);
    out.set(k, row);
  }
  return out;
}

describe('table extracts on PostgreSQL with concurrent writers', () => {
  it('the latest extracted version of every key equals the table, row by row', async () => {
    const store = new FsObjectStore(join(await tempDir(), 'store'), { durable: false });
    const stop = { stopped: false };
    const writing = Promise.all([0, 1, 2, 3].map((w) => writeUntil(w, stop)));
    const runs: string[] = [];
    const started = Date.now();
    let snapshotDone = false;
    while (Date.now() - started < 6_000) {
      const mode: ExtractMode = !snapshotDone && Date.now() - started > 3_000 ? 'snapshot' : 'incremental';
      snapshotDone ||= mode === 'snapshot';
      const report = await extractTables(extractor, store, {
        mode,
        clock: systemClock,
        batchRows: 37,
        settleSeconds: SETTLE_SECONDS,
      });
      runs.push(`${mode}:${report.tables.map((t) => t.rows).join('/')}`);
      await sleep(150);
    }
    stop.stopped = true;
    const transactions = (await writing).reduce((a, b) => a + b, 0);
    await sleep(SETTLE_SECONDS * 1000 + 200);
    const final = await extractTables(extractor, store, {
      mode: 'incremental',
      clock: systemClock,
      batchRows: 37,
      settleSeconds: SETTLE_SECONDS,
    });
    runs.push(`final:${final.tables.map((t) => t.rows).join('/')}`);

    expect(transactions).toBeGreaterThan(30);
    expect(snapshotDone).toBe(true);
    // Writers went on while extracts ran: several runs found rows.
    expect(runs.filter((r) => !/:0\/0\/0$/.test(r)).length, runs.join(' ')).toBeGreaterThan(3);

    const envelopes = await readRecords<ExtractEnvelope>(store, OLTP_EXTRACT_PREFIX);
    // The same version read twice carries the same envelope id (the warehouse keeps one line per id).
    const idOf = new Map<string, string>();
    for (const e of envelopes) {
      const version = `${e.detail.table} ${e.detail.key} ${e.detail.updated_at}`;
      expect(idOf.get(version) ?? e.id, version).toBe(e.id);
      idOf.set(version, e.id);
    }
    const lines: ExtractLine[] = envelopes.map((e) => e.detail);
    for (const table of ['users', 'items', 'bids'] as const) {
      const latest = new Map<string, ExtractLine>();
      for (const line of lines.filter((l) => l.table === table)) {
        const seen = latest.get(line.key);
        if (seen && seen.updated_at === line.updated_at)
          // The same version read twice (a snapshot, a rerun) is the same row.
          expect(line.row, `${table} ${line.key}`).toEqual(seen.row);
        if (!seen || line.updated_at > seen.updated_at) latest.set(line.key, line);
      }
      const rows = await tableRows(table);
      expect(rows.size).toBeGreaterThan(5);
      expect([...latest.keys()].sort(), table).toEqual([...rows.keys()].sort());
      for (const [key, row] of rows) {
        const line = latest.get(key)!;
        expect(line.row, `${table} ${key}`).toEqual(row);
        expect(line.op).toBe(row.deleted_at ? 'delete' : 'upsert');
        expect(line.updated_at).toBe(row.updated_at);
      }
    }
  }, 120_000);
});
