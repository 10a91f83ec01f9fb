import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../lib/loadtest/load-driver.js';
import { LoadEventFactory } from '../../lib/loadtest/load-events.js';
import { buildLoadReport } from '../../lib/loadtest/load-report.js';
import { rampSteps } from '../../lib/loadtest/ramp-schedule.js';
import { buildStreamReport } from '../../lib/loadtest/stream-report.js';
import { startStreamLoadTarget } from '../../lib/loadtest/stream-target.js';
import { flinkCluster, type FlinkCluster } from '../support/flink.js';
import { kafkaBroker, type KafkaBroker } from '../support/kafka.js';

// `elt loadtest --transport kafka --stream`, short, on a real broker and a real Flink: the live windows job reads
// the run's topic beside the landing; every second is sampled from the JobManager's REST API and both groups' lag;
// after the load both lags return to 0 and the minutes' login counts add up to what Kafka acknowledged.

let broker: KafkaBroker;
let flink: FlinkCluster;
let dataDir: string;

beforeAll(async () => {
  broker = await kafkaBroker();
  flink = await flinkCluster();
  dataDir = await mkdtemp(join(tmpdir(), 'elt-loadtest-stream-'));
}, 600_000);

afterAll(async () => {
  await flink?.stop();
  await broker?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 180_000);

describe('the stream load test', () => {
  it('samples Flink and both groups every second, recovers to lag 0 and loses no login', async () => {
    const name = `elt-loadtest-stream-test-${Date.now()}`;
    const factory = new LoadEventFactory();
    const steps = rampSteps({
      startRate: 500,
      step: { kind: 'multiply', by: 2 },
      stepSeconds: 5,
      maxRate: 1000,
      maxSeconds: 10,
    });
    const target = await startStreamLoadTarget({
      brokers: [broker.bootstrap],
      topic: name,
      partitions: 2,
      groupId: name,
      dataDir,
      restUrl: flink.restUrl,
      gatewayUrl: flink.gatewayUrl,
      streamGroupId: `${name}-job`,
      resultsTopic: `${name}-stream`,
      transactionalIdPrefix: name,
      allowedLatenessSeconds: 2,
      isRunEvent: (id) => factory.seqOf(id) !== undefined,
    });
    const run = await runLoad({
      target,
      steps,
      maxEvents: 20_000,
      maxInFlight: 4096,
      drainSeconds: 180,
      factory,
    });
    const load = buildLoadReport({
      transport: 'kafka',
      target: target.describe(),
      command: 'test',
      machine: {},
      settings: {
        startRate: 500,
        step: 'x2',
        stepSeconds: 5,
        maxRate: 1000,
        maxSeconds: 10,
        maxEvents: 20_000,
        maxInFlight: 4096,
        drainSeconds: 180,
        entriesPerCall: 10,
      },
      facts: target.facts(),
      steps,
      run,
    });
    const report = buildStreamReport(load, target.streamData(), { start: [0, 0, 0], end: [0, 0, 0] });
    const { analysis, vertices, readings } = report.stream;

    expect(run.drained).toBe(true);
    expect(run.totals.lost).toBe(0);
    expect(vertices[0]).toBe('source');
    expect(vertices.at(-1)).toBe('sink');
    // About one reading a second, each with every vertex's busy time once the counters have a previous value.
    expect(readings.length).toBeGreaterThanOrEqual(run.offerSeconds);
    const late = readings.at(-1)!;
    expect(Object.keys(late.vertices)).toEqual(vertices);
    expect(Object.values(late.vertices).every((v) => v.busyMs !== null)).toBe(true);
    expect(analysis.recovery.bothZeroAfter).not.toBeNull();
    expect(analysis.loss).toMatchObject({
      acceptedLogins: run.totals.accepted,
      missing: 0,
      repeatedResults: 0,
      ok: true,
    });
    expect(analysis.latency.windows.length).toBeGreaterThanOrEqual(1);
    expect(report.stream.checks.every((c) => c.ok)).toBe(true);
  }, 600_000);
});
