import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../lib/package-paths.js';
import { okJson, runCli } from '../support/cli.js';
import { kafkaBroker, type KafkaBroker } from '../support/kafka.js';

// A short `elt loadtest --transport kafka` on a broker of its own (its own folder and ports, like the chaos
// suite's; ports 9092, 19092, 29092 and 39092 are the default, bench, chaos and perf brokers'), so this
// file never stops the broker test/kafka/kafka.test.ts started when both run at once.
const LOADTEST_KAFKA_ENV = {
  ELT_KAFKA_HOME: join(packageRoot(), '.services', 'kafka-loadtest'),
  ELT_KAFKA_PORT: '49092',
  ELT_KAFKA_CONTROLLER_PORT: '49093',
};

let broker: KafkaBroker;
let out: string;

beforeAll(async () => {
  broker = await kafkaBroker(LOADTEST_KAFKA_ENV);
  out = await mkdtemp(join(tmpdir(), 'elt-loadtest-kafka-'));
}, 600_000);

afterAll(async () => {
  await broker?.stop();
  if (out) await rm(out, { recursive: true, force: true });
}, 120_000);

describe('elt loadtest --transport kafka', () => {
  it('lands every event the broker acknowledged exactly once and reports the consumer lag', async () => {
    const summary = await okJson(
      runCli(
        [
          'loadtest',
          '--transport',
          'kafka',
          '--brokers',
          broker.bootstrap,
          '--start-rate',
          '200',
          '--step',
          'x2',
          '--step-seconds',
          '2',
          '--max-rate',
          '400',
          '--max-seconds',
          '4',
          '--max-events',
          '1200',
          '--drain-seconds',
          '60',
          '--json',
          '--out',
          out,
        ],
        { timeoutMs: 180_000 },
      ),
    );
    expect(summary).toMatchObject({
      transport: 'kafka',
      offered: 1200,
      accepted: 1200,
      lost: 0,
      duplicates: 0,
    });
    expect(summary.landedDistinct).toBe(1200);
    expect(summary.drained).toBe(true);
    const report = JSON.parse(await readFile(join(out, 'kafka.json'), 'utf8')) as {
      samples: { depthParts: Record<string, number> }[];
    };
    expect(report.samples.some((s) => 'lag' in s.depthParts)).toBe(true);
  }, 240_000);
});
