import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderComparisonDoc, type ComparisonDocInputs } from '../lib/core/cost/comparison-doc.js';
import { loadPriceData } from '../lib/core/cost/load-price-data.js';
import { renderCatalogueDoc } from '../lib/core/events/catalogue-doc.js';
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

/** Every generated file of the repository, as it should be now. */
export function generatedFiles(): GeneratedFile[] {
  return [
    { path: 'docs/events.md', content: renderCatalogueDoc() },
    { path: 'lib/generated/sql-files.ts', content: renderSqlModule() },
    { path: 'docs/comparison.md', content: renderComparison() },
  ];
}
