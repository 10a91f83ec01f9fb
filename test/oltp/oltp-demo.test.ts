import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { kafkaBroker } from '../support/kafka.js';
import { useScratchDatabase } from '../support/scratch-database.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
const scratch = useScratchDatabase();

interface DemoJson {
  transactions: number;
  committed: number;
  outboxEvents: number;
  relayed: number;
  landedEvents: number;
  warehouseBids: number;
  oltpBids: number;
  reconciled: boolean;
  transport: string;
  database: string;
}

function parsed(stdout: string): DemoJson {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as DemoJson;
}

function expectReconciled(demo: DemoJson, transactions: number): void {
  expect(demo.transactions).toBe(transactions);
  expect(demo.relayed).toBe(demo.outboxEvents);
  expect(demo.landedEvents).toBe(demo.outboxEvents);
  expect(demo.oltpBids).toBeGreaterThan(0);
  expect(demo.warehouseBids).toBe(demo.oltpBids);
  expect(demo.reconciled).toBe(true);
}

describe('elt oltp demo', () => {
  it('reconciles on the embedded default (PGlite in the data directory), and elt oltp reconcile agrees', async () => {
    const dataDir = await tempDir();
    const demo = await runCli(['oltp', 'demo', '--data-dir', dataDir, '--transactions', '300', '--json']);
    expect(demo.code, demo.stderr).toBe(0);
    const result = parsed(demo.stdout);
    expectReconciled(result, 300);
    expect(result.database).toBe(`pglite:${dataDir}/oltp`);

    const again = await runCli(['oltp', 'reconcile', '--data-dir', dataDir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^reconciled: \d+ bids in the database, \d+ in the warehouse/);
    expect(again.stdout).toContain('✓ bid-ids');

    // A second demo starts afresh, the embedded database included (it is part of the data directory).
    const second = await runCli(['oltp', 'demo', '--data-dir', dataDir, '--transactions', '50', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expectReconciled(parsed(second.stdout), 50);
  }, 180_000);

  it('reconciles on PostgreSQL, and refuses to run over data it did not make', async () => {
    const dataDir = await tempDir();
    const demo = await runCli([
      'oltp',
      'demo',
      '--data-dir',
      dataDir,
      '--database',
      scratch(),
      '--transactions',
      '600',
      '--json',
    ]);
    expect(demo.code).toBe(0);
    expectReconciled(parsed(demo.stdout), 600);

    const refused = await runCli([
      'oltp',
      'demo',
      '--data-dir',
      dataDir,
      '--database',
      scratch(),
      '--transactions',
      '10',
    ]);
    expect(refused.code).toBe(1);
    // The banner, then the error in one line.
    const errors = refused.stderr.split('\n').filter((line) => line.startsWith('elt: '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/already holds .* row\(s\) in bids.*--reset-database/);
  }, 180_000);

  it('reconciles through a real Kafka broker', async () => {
    const broker = await kafkaBroker();
    try {
      const dataDir = await tempDir();
      const demo = await runCli(
        [
          'oltp',
          'demo',
          '--data-dir',
          dataDir,
          '--transport',
          'kafka',
          '--brokers',
          broker.bootstrap,
          '--transactions',
          '300',
          '--json',
        ],
        { timeoutMs: 240_000 },
      );
      expect(demo.code, demo.stderr).toBe(0);
      const result = parsed(demo.stdout);
      expect(result.transport).toBe('kafka');
      expectReconciled(result, 300);
    } finally {
      await broker.stop();
    }
  }, 300_000);

  it('says in one line that a database URL is wrong, without its password', async () => {
    const dataDir = await tempDir();
    const run = await runCli([
      'oltp',
      'workload',
      '--data-dir',
      dataDir,
      '--database',
      'postgres://shop:pw-9f8e7d@127.0.0.1:1/shop',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('cannot connect to the marketplace database at postgres://127.0.0.1:1/shop');
    expect(run.stderr).not.toContain('pw-9f8e7d');
  });

  it('lists its commands in --help', async () => {
    const run = await runCli(['oltp', '--help']);
    expect(run.code).toBe(0);
    for (const command of ['demo', 'workload', 'relay', 'extract', 'reconcile'])
      expect(run.stdout).toContain(command);
  });
});
