import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { openOltpDatabase } from '../../lib/adapters/oltp/oltp-database.js';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { oltpRelayCommand } from '../../lib/cli/commands/oltp-relay.js';
import { defaultOltpDatabase } from '../../lib/cli/oltp-options.js';
import { CliError } from '../../lib/cli/output.js';
import { EntryAcceptor } from '../../lib/core/bus/put-events.js';
import { EVENT_CATALOGUE } from '../../lib/core/events/catalogue.js';
import { DataDir } from '../../lib/local/data-dir.js';
import { readRecords } from '../support/objects.js';
import { useTempDirs } from '../support/temp-dir.js';

const acceptor = new EntryAcceptor({ account: '000000000000', region: 'us-east-1' });

/** Runs `relay <args>` in this process; returns what it wrote on stdout. */
async function runRelay(args: readonly string[]): Promise<string> {
  const out: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await oltpRelayCommand()
      .exitOverride()
      .parseAsync(args as string[], { from: 'user' });
  } finally {
    write.mockRestore();
  }
  return out.join('');
}

describe('elt oltp relay', () => {
  const tempDir = useTempDirs();

  it('relays the data directory’s embedded database by default and prints a JSON summary', async () => {
    const dataDir = await tempDir();
    await new DataDir(dataDir).ensure();
    const db = await openOltpDatabase(defaultOltpDatabase(dataDir));
    const ids: string[] = [];
    try {
      await db.migrate();
      const type = EVENT_CATALOGUE.find((t) => t.detailType === 'UserSignedUp')!;
      for (let i = 0; i < 5; i++) {
        const id = randomUUID();
        const accepted = acceptor.accept(
          {
            Source: type.source,
            DetailType: type.detailType,
            Detail: JSON.stringify({ ...type.example, eventId: id }),
            Time: new Date('2026-12-01T10:00:00Z'),
          },
          id,
          new Date(),
        );
        if (!accepted.ok) throw new Error(accepted.errorMessage);
        await db.query(
          `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, occurred_at)
           VALUES ($1, 'user', $2, 'UserSignedUp', $3::jsonb, now())`,
          [id, `u_${i}`, accepted.body],
        );
        ids.push(id);
      }
    } finally {
      await db.close();
    }

    const stdout = await runRelay(['--data-dir', dataDir, '--once', '--json', '--batch-size', '2']);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({
      bus: 'local',
      published: 5,
      quarantined: 0,
      rounds: 3,
      lag: { unsent: 0, oldestUnsentAgeSeconds: 0 },
      landedEvents: 5,
      stoppedBy: 'drained',
    });
    const landed = await readRecords<{ detail: { eventId: string } }>(
      new FsObjectStore(new DataDir(dataDir).storeRoot),
      'raw/',
    );
    expect(landed.map((e) => e.detail.eventId).sort()).toEqual(ids.sort());
  });

  it('names a wrong connection string in one line', async () => {
    const dataDir = await tempDir();
    const error = await runRelay(['--data-dir', dataDir, '--database', 'mysql://x@h/db', '--once']).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(/^--database "mysql:\/\/x@h\/db" is not valid: unknown scheme/);
    expect((error as Error).message).not.toContain('\n');
  });

  it('says the database cannot be reached, without its password', async () => {
    const dataDir = await tempDir();
    const error = await runRelay([
      '--data-dir',
      dataDir,
      '--database',
      'postgres://relay:s3cret-pw@127.0.0.1:1/marketplace',
      '--once',
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(
      /^cannot connect to the marketplace database at postgres:\/\/127\.0\.0\.1:1/,
    );
    expect((error as Error).message).not.toContain('s3cret-pw');
  });
});
