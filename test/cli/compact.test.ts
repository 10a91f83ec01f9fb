import { describe, expect, it } from 'vitest';
import { lastJson, runCli } from '../support/cli.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();

describe('elt compact', () => {
  it('merges the demo’s closed partitions; the next run loads nothing and the marts stay the same', async () => {
    const dir = await tempDir();
    const demo = await runCli(['demo', '--events', '15000', '--data-dir', dir, '--json'], {
      timeoutMs: 180_000,
    });
    expect(demo.code, demo.stderr).toBe(0);
    const before = await runCli([
      'query',
      'SELECT SUM(users) AS users FROM mart_daily_active_users',
      '--data-dir',
      dir,
      '--json',
    ]);

    const dry = await runCli(['compact', '--data-dir', dir, '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = lastJson<{ compactedObjects: number; puts: number; dryRun: boolean }>(dry);
    expect(planned).toMatchObject({ dryRun: true, puts: 0 });

    const run = await runCli(['compact', '--data-dir', dir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = lastJson<Record<string, number>>(run);
    expect(report.compactedObjects).toBe(planned.compactedObjects);
    expect(report.compactedObjects ?? 0).toBeGreaterThan(0);
    expect(report.objectsAfter ?? 0).toBeLessThan(report.objectsBefore ?? 0);
    expect(report.deletes).toBe(report.originalsReplaced);

    const elt = await runCli(['run', '--data-dir', dir, '--json']);
    expect(elt.code, elt.stderr).toBe(0);
    expect(lastJson(elt)).toMatchObject({ status: 'succeeded', objectsLoaded: 0 });
    const after = await runCli([
      'query',
      'SELECT SUM(users) AS users FROM mart_daily_active_users',
      '--data-dir',
      dir,
      '--json',
    ]);
    expect(after.stdout).toBe(before.stdout);

    const again = await runCli(['compact', '--data-dir', dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^compacted 0 of \d+ closed partition/);
  }, 300_000);

  it('refuses a target size that is not a whole number of MiB, with the range', async () => {
    const run = await runCli(['compact', '--target-mb', '0', '--data-dir', await tempDir()]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--target-mb/);
  });
});
