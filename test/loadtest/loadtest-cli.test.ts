import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { okJson, runCli } from '../support/cli.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();

/** A few seconds of load at tiny rates: 100 then 200 events/s, 2 s each, at most 600 events. */
const SHORT = ['--start-rate', '100', '--step', 'x2', '--step-seconds', '2', '--max-rate', '200'];

describe('elt loadtest --transport local', () => {
  it('lands every accepted event exactly once through the HTTP ingest API and writes the three reports', async () => {
    const out = await tempDir();
    const summary = await okJson(
      runCli(
        [
          'loadtest',
          '--transport',
          'local',
          ...SHORT,
          '--max-seconds',
          '4',
          '--max-events',
          '600',
          '--drain-seconds',
          '30',
          '--json',
          '--out',
          out,
        ],
        { timeoutMs: 120_000 },
      ),
    );
    expect(summary).toMatchObject({
      transport: 'local',
      offered: 600,
      lost: 0,
      duplicates: 0,
      drained: true,
    });
    expect(summary.accepted).toBeGreaterThan(0);
    expect(summary.landedDistinct).toBe(summary.accepted);
    expect((summary.checks as { ok: boolean }[]).every((c) => c.ok)).toBe(true);

    const report = JSON.parse(await readFile(join(out, 'local.json'), 'utf8')) as {
      samples: { offered: number; depthParts: Record<string, number>; rssMb: number | null }[];
      summary: { offered: number };
      steps: { rate: number }[];
    };
    expect(report.steps.map((s) => s.rate)).toEqual([100, 200]);
    expect(report.samples.reduce((a, s) => a + s.offered, 0)).toBe(report.summary.offered);
    expect(Object.keys(report.samples[1]!.depthParts).sort()).toEqual(['queue', 'spool']);
    expect(report.samples[1]!.rssMb).toBeGreaterThan(0);
    expect(await readFile(join(out, 'local.svg'), 'utf8')).toContain('data-series="landed"');
    expect(await readFile(join(out, 'local.md'), 'utf8')).toContain(
      '| **lost** (accepted, never landed) | **0** ✓ |',
    );
  }, 120_000);
});

describe('elt loadtest failures', () => {
  it('says how to start Kafka when no broker answers', async () => {
    const r = await runCli([
      'loadtest',
      '--transport',
      'kafka',
      '--brokers',
      '127.0.0.1:1',
      ...SHORT,
      '--max-seconds',
      '2',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'elt: cannot reach Kafka at 127.0.0.1:1 (connection refused). Start the broker: npm run kafka:up',
    );
  });

  it('refuses to load anything but LocalStack, naming the line that points the SDK at it', async () => {
    const r = await runCli(['loadtest', '--transport', 'localstack', ...SHORT], {
      env: { AWS_ENDPOINT_URL: '', AWS_ENDPOINT_URL_SQS: '' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--transport localstack needs AWS_ENDPOINT_URL pointing at LocalStack');
    expect(r.stderr).toContain('eval "$(scripts/services/localstack.sh env)"');
  });

  it('says to deploy when the stack outputs are missing', async () => {
    const r = await runCli(
      ['loadtest', '--transport', 'localstack', '--outputs', join(await tempDir(), 'none.json'), ...SHORT],
      { env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:1' } },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--outputs: cannot read .*none\.json .*deploy first: npm run localstack:deploy/);
  });

  it('rejects a step that does not grow the rate', async () => {
    const r = await runCli(['loadtest', '--step', 'x1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '--step must be a multiplier over 1 (x2, 1.5x) or an increment over 0 (+500), got "x1"',
    );
  });
});
