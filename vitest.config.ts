import { readdirSync, readFileSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';

/** The directories of the suites that run against real services (PostgreSQL, LocalStack, Kafka). */
const SERVICE_DIRECTORIES = [
  'test/redshift',
  'test/localstack',
  'test/emulator',
  'test/kafka',
  'test/chaos',
  'test/e2e',
  'test/dbt',
  'test/oltp',
];

/**
 * A test file outside those directories that still belongs to the end-to-end tier: it starts a service
 * (imports the PostgreSQL, LocalStack, MiniStack, Kafka or Flink helpers of test/support), or runs a CLI in a child process
 * (`elt` through test/support/cli.ts, `cdk` through npx), which costs seconds per call.
 */
const END_TO_END_SOURCE =
  /support\/(?:postgres|scratch-database|localstack|ministack|kafka|flink|flink-kafka|cli)\.js'|\bexec\(\s*'npx'/;

/**
 * A test file that builds CDK constructs (imports aws-cdk-lib, or the helpers of test/support that do):
 * loading aws-cdk-lib and synthesizing cost several CPU-seconds per file.
 */
const SYNTH_SOURCE = /from 'aws-cdk-lib|support\/(?:cdk-app|state-machine)\.js'/;

const testFiles = readdirSync('test', { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/${f.replaceAll('\\', '/')}`)
  .map((file) => ({ file, source: readFileSync(file, 'utf8') }));

// Found by the rules above, so a new suite needs no list edited.
const endToEnd = testFiles
  .filter(
    ({ file, source }) =>
      SERVICE_DIRECTORIES.some((dir) => file.startsWith(`${dir}/`)) || END_TO_END_SOURCE.test(source),
  )
  .map(({ file }) => file);
const synth = testFiles
  .filter(({ file, source }) => !endToEnd.includes(file) && SYNTH_SOURCE.test(source))
  .map(({ file }) => file);

// Three projects, one per tier (README, "Tests"). `npm run test:unit` runs `unit` only: no services, no
// child processes that run a CLI, no CDK. `npm test` runs all three. The `e2e` project's
// global setup stops every service the run started, so a run leaves no server behind.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // CPU-bound and service-free: every core (vitest's default leaves one free, half the cores here).
          // Another worker count needs a group of its own: the unit tier runs first, the others after it.
          maxWorkers: '100%',
          sequence: { groupOrder: 0 },
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...endToEnd, ...synth],
        },
      },
      { extends: true, test: { name: 'synth', include: synth, sequence: { groupOrder: 1 } } },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: endToEnd,
          sequence: { groupOrder: 1 },
          globalSetup: ['test/support/stop-started-services.ts'],
        },
      },
    ],
  },
});
