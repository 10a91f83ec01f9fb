import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderComparisonDoc, type ComparisonDocInputs } from '../lib/core/cost/comparison-doc.js';
import { replaceGeneratedBlocks } from '../lib/core/cost/generated-blocks.js';
import { loadPriceData } from '../lib/core/cost/load-price-data.js';
import { costChart } from '../lib/core/cost/recommendation.js';
import { renderSettingsTable, type ResolvedEnvironment } from '../lib/core/deploy-config/settings-table.js';
import { renderCatalogueDoc } from '../lib/core/events/catalogue-doc.js';
import { parseConfig } from '../lib/infra/config.js';
import { packageRoot } from '../lib/package-paths.js';

/** A file derived from other files of the repository. */
export interface GeneratedFile {
  /** Path relative to the repository root. */
  readonly path: string;
  readonly content: string;
}

function sqlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sqlFiles(join(dir, e.name)) : e.name.endsWith('.sql') ? [join(dir, e.name)] : [],
  );
}

/**
 * The SQL files as a TypeScript module, so the CLI and the bundled Lambdas read the same text without
 * touching the filesystem at run time. The .sql files stay the source.
 */
function renderSqlModule(): string {
  const root = join(packageRoot(), 'sql');
  const entries = sqlFiles(root)
    .map((f) => relative(root, f).split('\\').join('/'))
    .sort()
    .map((name) => `  ${JSON.stringify(name)}: ${JSON.stringify(readFileSync(join(root, name), 'utf8'))},`);
  return [
    '// Generated from sql/**/*.sql by `npm run gen` (also run by `npm run build`). Do not edit: edit the .sql files.',
    '',
    '/** Every SQL file under sql/, by path relative to sql/. */',
    'export const SQL_FILES: Readonly<Record<string, string>> = {',
    ...entries,
    '};',
    '',
  ].join('\n');
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(join(packageRoot(), path), 'utf8'));

/** What docs/comparison.md is generated from: the price and fact files, the benchmark and load test results. */
export function comparisonInputs(): ComparisonDocInputs {
  return {
    data: loadPriceData(),
    benchmarks: {
      embedded: readJson('docs/benchmarks/embedded-pipeline.json'),
      kafka: readJson('docs/benchmarks/kafka.json'),
      loadtests: Object.fromEntries(
        ['local', 'kafka', 'localstack'].map((t) => [t, readJson(`docs/loadtest/${t}.json`)]),
      ),
    },
  };
}

/**
 * docs/comparison.md: its hand-written text as it is now, its tables (between `<!-- generated:… -->`
 * markers) from {@link comparisonInputs}.
 */
function renderComparison(): string {
  return renderComparisonDoc(
    readFileSync(join(packageRoot(), 'docs/comparison.md'), 'utf8'),
    comparisonInputs(),
  );
}

/** The environments of cdk.json the README's settings table shows beside the defaults. */
const TABLE_ENVIRONMENTS = ['dev', 'prod'];

/**
 * README.md: its hand-written text as it is now, the settings table of "Deploy to AWS" (between
 * `<!-- generated:config-table -->` markers) from the declarations in lib/core/deploy-config/settings.ts,
 * with the values the dev and prod blocks of cdk.json give.
 */
function renderReadme(): string {
  const cdk = readJson('cdk.json') as {
    context: { 'elt:environments': Record<string, Record<string, unknown>> };
  };
  // Account and region come from credentials at deploy time; any valid pair resolves the other settings.
  const where = { account: '123456789012', region: 'us-east-1' };
  const resolve = (name: string, block: Record<string, unknown>): ResolvedEnvironment => ({
    name,
    config: { ...parseConfig(name, { ...block, ...where }) },
  });
  const environments = cdk.context['elt:environments'];
  const table = renderSettingsTable(
    resolve('default', {}),
    TABLE_ENVIRONMENTS.map((name) => resolve(name, environments[name] ?? {})),
  );
  return replaceGeneratedBlocks(
    readFileSync(join(packageRoot(), 'README.md'), 'utf8'),
    new Map([['config-table', table]]),
    'README.md',
    'lib/core/deploy-config/settings.ts',
  );
}

/** Every generated file of the repository, as it should be now. */
export function generatedFiles(): GeneratedFile[] {
  return [
    { path: 'docs/events.md', content: renderCatalogueDoc() },
    { path: 'lib/generated/sql-files.ts', content: renderSqlModule() },
    { path: 'docs/comparison.md', content: renderComparison() },
    { path: 'docs/cost-vs-rate.svg', content: costChart(loadPriceData()) },
    { path: 'README.md', content: renderReadme() },
  ];
}
