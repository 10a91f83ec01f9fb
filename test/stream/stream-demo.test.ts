import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamDemoSummary } from '../../lib/local/stream-demo.js';
import { lastJson, runCli } from '../support/cli.js';
import { flinkCluster, type FlinkCluster } from '../support/flink.js';
import { kafkaBroker, type KafkaBroker } from '../support/kafka.js';

// `elt stream demo` end to end: a real broker, a real Flink, the landing, the ELT and the comparison.
let broker: KafkaBroker;
let flink: FlinkCluster;
let dir: string;

beforeAll(async () => {
  broker = await kafkaBroker();
  flink = await flinkCluster();
  dir = await mkdtemp(join(tmpdir(), 'elt-stream-demo-'));
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await flink?.stop();
  await broker?.stop();
}, 120_000);

describe('elt stream demo', () => {
  it('counts the demo workload live and agrees with the batch window by window, late events explaining every difference', async () => {
    const run = await runCli(
      [
        'stream',
        'demo',
        '--events',
        '3000',
        '--data-dir',
        join(dir, 'data'),
        '--brokers',
        broker.bootstrap,
        '--gateway',
        flink.gatewayUrl,
        '--rest',
        flink.restUrl,
        '--json',
      ],
      { timeoutMs: 400_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = lastJson<StreamDemoSummary>(run);
    expect(summary.unexplained).toBe(0);
    expect(summary.windowsCompared).toBeGreaterThan(100);
    expect(summary.windowsEqual + summary.windowsExplained).toBe(summary.windowsCompared);
    // Every kind of window was compared.
    expect(Object.keys(summary.byWindow).sort()).toEqual([
      'active_users/day',
      'logins/hour',
      'logins/minute',
    ]);
    // The workload's late events (hours before their publication) reached the stream late.
    expect(summary.lateEvents).toBeGreaterThan(0);
    expect(summary.windowsExplained).toBeGreaterThan(0);
    expect(summary.landedEvents).toBe(3000);
    expect(summary.streamResults).toBeGreaterThan(summary.windowsCompared / 2);
    // The demo stops its job.
    const jobs = (await flink.jobManager.jobs()).filter(
      (j) => j.name === 'elt-live-windows' && j.state === 'RUNNING',
    );
    expect(jobs).toEqual([]);
  }, 420_000);
});
