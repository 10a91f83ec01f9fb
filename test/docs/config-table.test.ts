import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingRows } from '../../lib/core/deploy-config/settings-table.js';
import { parseConfig } from '../../lib/infra/config.js';
import { packageRoot } from '../../lib/package-paths.js';

const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
const table = readme.slice(
  readme.indexOf('<!-- generated:config-table'),
  readme.indexOf('<!-- /generated:config-table -->'),
);
const row = (path: string): string | undefined =>
  table.split('\n').find((line) => line.startsWith(`| \`${path}\` `));

/** Every leaf setting of a parsed config, as dotted paths. */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  const entries = Object.entries(value as Record<string, unknown>);
  // readers is one setting holding an object of lists.
  if (prefix === 'warehouse.readers') return [prefix];
  return entries.flatMap(([key, v]) => leafPaths(v, prefix === '' ? key : `${prefix}.${key}`));
}

describe('README: the settings table of "Deploy to AWS"', () => {
  it('is the generated block, with a row for every declared setting', () => {
    expect(table).toContain('(npm run gen; edit lib/core/deploy-config/settings.ts, not this block)');
    for (const { path } of settingRows()) expect(row(path), path).toBeDefined();
  });

  it('declares every setting the parser fills in, so none is missing from the table', () => {
    const config = parseConfig('dev', {
      account: '123456789012',
      region: 'eu-west-1',
      alarms: { email: 'ops@example.com' },
      kafka: {
        mode: 'self-managed',
        topic: 'events',
        bootstrapServers: ['b-1.example.com:9096'],
        secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka-AbCdEf',
        provisionedPollers: { minimum: 1, maximum: 2 },
      },
    });
    const declared = new Set(settingRows().map((r) => r.path));
    const filled = leafPaths(config).filter((p) => p !== 'envName');
    expect(filled.filter((p) => !declared.has(p))).toEqual([]);
  });

  it('shows the default beside the values the dev and prod blocks of cdk.json change', () => {
    expect(row('landing.batchWindowSeconds')).toContain('| 30 (· 60) ');
    expect(row('landing.maxConcurrency')).toContain('| 10 (5 · 50) ');
    // Neither block changes it: the default alone.
    expect(row('landing.batchSize')).toMatch(/^\| `landing\.batchSize` +\| 10,000 +\|/);
    expect(row('bus.archiveRetentionDays')).toContain('| 30 (7 · 365) ');
    expect(row('warehouse.maxCapacityRpu')).toContain('| 4 × base, at most 1,024 (32 · 128) ');
    expect(row('landing.batchSize')).toContain('| 1–10,000 ');
  });
});
