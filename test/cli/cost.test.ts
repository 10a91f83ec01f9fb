import { describe, expect, it } from 'vitest';
import { COST_OPTIONS, type CostReport } from '../../lib/core/cost/cost-model.js';
import { lastJson, runCli } from '../support/cli.js';

type CostJson = CostReport & {
  cheapest: string | null;
  ranking: { complete: string[]; lowerBounds: string[]; cannotCarry: string[] };
  assumptionsText: string[];
};

/** The quantity of one line of one option. */
const byLabelOf = (j: CostJson, id: string, label: string): number =>
  j.options.find((o) => o.id === id)?.lines.find((l) => l.label === label)?.quantity ?? NaN;

describe('elt cost', () => {
  it('prints a table of every option, a breakdown and the assumptions', async () => {
    const run = await runCli(['cost', '--rate', '1000', '--size', '1024']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'Monthly cost of 1,000 events/s × 1,024 bytes (2,628,000,000 events a month',
    );
    for (const o of COST_OPTIONS) expect(run.stdout).toMatch(new RegExp(`^${o.id}\\s`, 'm'));
    // The deployed path is always broken down, line by line, with its price ids.
    expect(run.stdout).toContain('eventbridge — EventBridge custom bus → SQS (this project)');
    expect(run.stdout).toMatch(
      /^EventBridge PutEvents\s+2,628 million events\s+1\s+2,628\.00\s+eventbridge-custom-events/m,
    );
    expect(run.stdout).toContain('Assumptions:');
    expect(run.stdout).toContain('730 h');
  });

  it('shows the landing at the one batching window and at the longest, and prints the equal-terms assumptions', async () => {
    const run = await runCli(['cost', '--rate', '10', '--size', '1024', '--option', 'msk-serverless']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/landing \+ S3 \(30 s\)\s+\(300 s window\)/);
    // 10 events/s: 300 events a batch at 30 s, 3,000 at 300 s (the window's worth: under the 10,000 batch
    // size and the 6 MiB payload), a year of raw storage in both.
    expect(run.stdout).toMatch(/^msk-serverless\s+[\d,.]+\s+6\.10\s+1\.41\s/m);
    expect(run.stdout).toContain(
      'Landing (Lambda + S3): 6.10 USD at a 30 s window, 1.41 USD at a 300 s window.',
    );
    expect(run.stdout).toContain('87,600 invocations of 300 events (30 s window)');
    for (const assumption of [
      'One batching window for every path that lands through Lambda',
      'Compression, one ratio wherever the path compresses: 20%',
      'SNS: PublishBatch of 10 messages',
      'provisioned for the retained bytes × (1 + 17.6%)',
      'utilization target 50%',
      'MSK Serverless partitions stay within 5 MBps in, 10 MBps out and 250 GB each',
    ])
      expect(run.stdout).toContain(assumption);
    const json = lastJson<CostJson>(
      await runCli(['cost', '--rate', '10', '--size', '1024', '--option', 'sqs', '--json']),
    );
    expect(json.options[0]?.landingByWindow.map((w) => w.windowSeconds)).toEqual([30, 300]);
  });

  it('ranks complete totals first and lower bounds apart, in text and in --json', async () => {
    const json = lastJson<CostJson>(await runCli(['cost', '--rate', '1000', '--size', '1024', '--json']));
    const total = (id: string): number => json.options.find((o) => o.id === id)?.totalUsd ?? NaN;
    // Cheapest first among complete totals; MSK Express lacks its storage price, so it is ranked apart.
    expect(json.ranking.lowerBounds).toEqual(['msk-express']);
    expect(json.ranking.complete).toHaveLength(json.options.length - 1);
    const totals = json.ranking.complete.map(total);
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
    expect(json.cheapest).toBe(json.ranking.complete[0]);
    const text = await runCli(['cost', '--rate', '1000', '--size', '1024']);
    const summary = text.stdout.split('\n\n')[1] ?? '';
    const ids = new Set(json.options.map((o) => o.id));
    const rows = summary.split('\n').filter((l) => ids.has(l.split(' ')[0] ?? ''));
    expect(rows).toHaveLength(json.options.length);
    expect(rows.at(-1)).toMatch(/^msk-express\s.*≥.*unpriced: msk-express-storage/);
  });

  it('prices provisioned Kafka pollers with --provisioned-pollers, and refuses a count out of range', async () => {
    const args = ['cost', '--rate', '100', '--size', '1024', '--option', 'kafka-ec2', '--json'];
    const line = (j: CostJson) =>
      j.options[0]?.lines.find((l) => l.priceId === 'lambda-kafka-event-poller-unit');
    expect(line(lastJson<CostJson>(await runCli(args)))).toBeUndefined();
    expect(line(lastJson<CostJson>(await runCli([...args, '--provisioned-pollers', '2'])))?.quantity).toBe(
      2 * 730,
    );
    const bad = await runCli(['cost', '--rate', '1', '--size', '1', '--provisioned-pollers', '201']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--provisioned-pollers.*0 to 200/);
  });

  it('leaves the ingest API out with --no-ingest-api', async () => {
    const args = ['cost', '--rate', '100', '--size', '1024', '--option', 'sqs', '--json'];
    const kinds = (j: CostJson): string[] => j.options[0]?.lines.map((l) => l.kind) ?? [];
    const withApi = lastJson<CostJson>(await runCli(args));
    const without = lastJson<CostJson>(await runCli([...args, '--no-ingest-api']));
    expect(kinds(withApi)).toContain('ingest');
    expect(kinds(without)).not.toContain('ingest');
    expect(without.options[0]?.totalUsd ?? 0).toBeLessThan(withApi.options[0]?.totalUsd ?? 0);
  });

  it('adds the stream job with --stream: KPU-hours, the orchestration KPU and running storage everywhere, the Kinesis feed and pipe on EventBridge', async () => {
    const args = [
      'cost',
      '--rate',
      '100',
      '--size',
      '1024',
      '--option',
      'eventbridge,msk-serverless',
      '--json',
    ];
    const streamLines = (j: CostJson, id: string) =>
      j.options.find((o) => o.id === id)?.lines.filter((l) => l.kind === 'stream') ?? [];
    const without = lastJson<CostJson>(await runCli(args));
    expect(streamLines(without, 'eventbridge')).toEqual([]);
    expect(without.assumptionsText.join('\n')).toContain('Stream job: left out');
    const withStream = lastJson<CostJson>(await runCli([...args, '--stream']));
    const byLabel = (id: string) => new Map(streamLines(withStream, id).map((l) => [l.label, l]));
    for (const id of ['eventbridge', 'msk-serverless']) {
      const lines = byLabel(id);
      // Parallelism 1 at 1 per KPU: one KPU all month, plus the orchestration KPU, at 0.11 USD a KPU-hour.
      expect(lines.get('Managed Service for Apache Flink KPU-hours (stream job)')).toMatchObject({
        quantity: 730,
        priceId: 'msf-kpu-hour',
        unitUsd: 0.11,
      });
      expect(lines.get('Managed Service for Apache Flink orchestration KPU (stream job)')?.quantity).toBe(
        730,
      );
      expect(
        lines.get('Managed Service for Apache Flink running application storage (stream job)'),
      ).toMatchObject({ quantity: 50, unitUsd: 0.1 });
    }
    const eb = byLabel('eventbridge');
    // Two provisioned streams of one shard; every event PUT once by the rule, and 3 results a minute.
    expect(eb.get('Kinesis shard-hours (stream job: events in, results out)')?.quantity).toBe(2 * 730);
    expect(
      eb.get('Kinesis PUT payload units (stream job: the rule to the events stream, results)')?.quantity,
    ).toBeCloseTo((262_800_000 + 3 * 60 * 730) / 1e6, 9);
    expect(eb.get('EventBridge Pipes requests (stream job results back to the bus)')?.quantity).toBeCloseTo(
      (3 * 60 * 730) / 1e6,
      9,
    );
    expect(byLabel('msk-serverless').has('Kinesis shard-hours (stream job: events in, results out)')).toBe(
      false,
    );
    const total = (j: CostJson, id: string) => j.options.find((o) => o.id === id)?.totalUsd ?? NaN;
    // 1,460 KPU-hours at 0.11 and 50 GB-months at 0.10: 165.60 USD before logs and the feed.
    expect(total(withStream, 'msk-serverless') - total(without, 'msk-serverless')).toBeGreaterThan(165.6);
    expect(total(withStream, 'eventbridge') - total(without, 'eventbridge')).toBeGreaterThan(165.6 + 21.9);
    expect(withStream.assumptionsText.join('\n')).toContain('Stream job (--stream)');
    const wide = lastJson<CostJson>(await runCli([...args, '--stream', '4']));
    expect(byLabelOf(wide, 'msk-serverless', 'Managed Service for Apache Flink KPU-hours (stream job)')).toBe(
      4 * 730,
    );
    const bad = await runCli(['cost', '--rate', '1', '--size', '1', '--stream', '65']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--stream.*1 to 64/);
  });

  it('adds the outbox relay with --oltp-relay: endpoints, function, its share off the ingest API, and a warning when it cannot keep up', async () => {
    const args = ['cost', '--rate', '100', '--size', '1024', '--option', 'eventbridge', '--json'];
    const lines = (j: CostJson) => j.options[0]?.lines ?? [];
    const relay = (j: CostJson) => lines(j).filter((l) => l.label.includes('outbox relay'));
    const without = lastJson<CostJson>(await runCli(args));
    expect(relay(without)).toEqual([]);
    expect(without.assumptionsText.join('\n')).toContain('Outbox relay: left out');
    const withRelay = lastJson<CostJson>(await runCli([...args, '--oltp-relay', '0.25']));
    const byLabel = new Map(relay(withRelay).map((l) => [l.label, l]));
    // Secrets Manager and EventBridge endpoints in the three zones of the warehouse VPC, all month.
    expect(
      byLabel.get('VPC interface endpoints (Secrets Manager, EventBridge) for the outbox relay')?.quantity,
    ).toBe(2 * 3 * 730);
    // A run a minute.
    expect(byLabel.get('Lambda requests (outbox relay)')?.quantity).toBeCloseTo((730 * 60) / 1e6, 9);
    // A quarter of 262.8 million events of 1 KiB through the EventBridge endpoint.
    expect(byLabel.get('VPC endpoint data processed (outbox relay)')?.quantity).toBeCloseTo(
      (262_800_000 * 0.25 * 1024) / 2 ** 30,
      6,
    );
    // The ingest API carries the other three quarters.
    const requests = (j: CostJson) =>
      lines(j).find((l) => l.label === 'Lambda requests (ingest)')?.quantity ?? NaN;
    expect(requests(withRelay)).toBeCloseTo(requests(without) * 0.75, 9);
    expect(withRelay.assumptionsText.join('\n')).toContain('25% of the events come from the marketplace');
    const busy = lastJson<CostJson>(
      await runCli([
        'cost',
        '--rate',
        '5000',
        '--size',
        '1024',
        '--option',
        'sqs',
        '--oltp-relay',
        '1',
        '--json',
      ]),
    );
    expect(JSON.stringify(busy)).toContain('outbox relay: 300,000 rows every 1 min take about 300 s');
    const bad = await runCli(['cost', '--rate', '1', '--size', '1', '--oltp-relay', '1.5']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--oltp-relay.*0 to 1/);
  });

  it('answers --json with every line of every option', async () => {
    const run = await runCli(['cost', '--rate', '10', '--size', '1KiB', '--retention-days', '3', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = lastJson<CostJson>(run);
    expect(report.input).toEqual({ ratePerSecond: 10, eventBytes: 1024, retentionDays: 3 });
    expect(report.options.map((o) => o.id)).toEqual(COST_OPTIONS.map((o) => o.id));
    for (const o of report.options) {
      const priced = o.lines.reduce((s, l) => s + (l.usd ?? 0), 0);
      expect(o.pricedUsd).toBeCloseTo(priced, 6);
      if (o.totalUsd !== null) expect(o.totalUsd).toBeCloseTo(priced, 6);
      else expect(o.missingPriceIds.length).toBeGreaterThan(0);
    }
    expect(report.cheapest).not.toBeNull();
    expect(report.assumptionsText.length).toBeGreaterThan(3);
  });

  it('breaks down only the options asked for, by id or by the data file option', async () => {
    const run = await runCli([
      'cost',
      '--rate',
      '50',
      '--size',
      '2048',
      '--option',
      'kafka-ec2',
      '--option',
      'kinesis-data-streams',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(lastJson<CostJson>(run).options.map((o) => o.id)).toEqual([
      'kinesis-on-demand',
      'kinesis-provisioned',
      'kafka-ec2',
    ]);
    const text = await runCli(['cost', '--rate', '50', '--size', '2048', '--option', 'kafka-ec2,sqs']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('kafka-ec2 — Self-hosted Kafka on EC2');
    expect(text.stdout).toContain('sqs — SQS standard queue');
    expect(text.stdout).toContain('ec2-m7g-large: https://');
    expect(text.stdout).not.toMatch(/^eventbridge\s/m);
  });

  it('says which options cannot carry an event that is too big, and prices the rest', async () => {
    const run = await runCli(['cost', '--rate', '1', '--size', '2MiB']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^eventbridge .*cannot carry a 2,097,152-byte event: its largest event is 1,048,576 bytes/m,
    );
    expect(run.stdout).toMatch(/^kafka-ec2\s+≥?\s*[\d,.]+/m);
    // Kinesis takes it (up to 10 MiB, a per-stream setting), so it is priced, not refused.
    expect(run.stdout).toMatch(/^kinesis-provisioned\s+≥?\s*[\d,.]+/m);
    expect(run.stdout).not.toMatch(/^kinesis-provisioned .*cannot carry/m);
  });

  it('prices Kinesis above 1 MiB and notes the per-stream maximum record size', async () => {
    const run = await runCli(['cost', '--rate', '1', '--size', '2MiB', '--option', 'kinesis-data-streams']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Records over 1 MiB need the stream's maximum record size raised");
    // 2 MiB over 25 KiB units: 82 a record, 2,628,000 records a month.
    expect(run.stdout).toContain('2,628,000 records × 82 unit(s) of 25 KB');
    const over = await runCli([
      'cost',
      '--rate',
      '1',
      '--size',
      '10241KiB',
      '--option',
      'kinesis-provisioned',
    ]);
    expect(over.code, over.stderr).toBe(0);
    expect(over.stdout).toContain('its largest event is 10,485,760 bytes');
  });

  it.each([
    [['--rate', 'abc', '--size', '1024'], /--rate.*expected a number of events per second above 0/],
    [['--rate=0', '--size', '1024'], /--rate/],
    [['--rate=-5', '--size', '1024'], /--rate/],
    [['--rate', '10', '--size', '1.5'], /--size.*whole bytes/],
    [['--rate', '10', '--size', '10GB'], /--size/],
    [['--rate', '10', '--size', '1024', '--retention-days', 'x'], /--retention-days/],
    [['--size', '1024'], /required option '--rate/],
  ])('fails with one clear line for %j', async (args, message) => {
    const run = await runCli(['cost', ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('names the known options when --option is unknown', async () => {
    const run = await runCli([
      'cost',
      '--rate',
      '10',
      '--size',
      '1024',
      '--option',
      'carrier-pigeon',
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'elt: --option: no option "carrier-pigeon" (known: eventbridge, eventbridge-firehose, firehose, sqs, sqs-fifo, sns-sqs',
    );
    expect(lastJson(run)).toEqual({ error: expect.stringContaining('carrier-pigeon') });
  });

  it('prices operator time per option class, one --ops-hours for every option, and none at 0', async () => {
    const base = lastJson<CostJson>(
      await runCli([
        'cost',
        '--rate',
        '100',
        '--size',
        '1024',
        '--option',
        'kafka-ec2,msk-provisioned,sqs',
        '--json',
      ]),
    );
    const opsOf = (r: CostJson, id: string) =>
      r.options.find((o) => o.id === id)?.lines.find((l) => l.kind === 'operations');
    expect(opsOf(base, 'kafka-ec2')).toMatchObject({ quantity: 20, unitUsd: 94, usd: 1880 });
    expect(opsOf(base, 'msk-provisioned')).toMatchObject({ quantity: 8, usd: 752 });
    expect(opsOf(base, 'sqs')).toMatchObject({ quantity: 2, usd: 188 });
    const flat = lastJson<CostJson>(
      await runCli([
        'cost',
        '--rate',
        '100',
        '--size',
        '1024',
        '--option',
        'kafka-ec2,sqs',
        '--ops-hours',
        '10',
        '--ops-rate',
        '50',
        '--json',
      ]),
    );
    for (const id of ['kafka-ec2', 'sqs']) expect(opsOf(flat, id)).toMatchObject({ quantity: 10, usd: 500 });
    const none = lastJson<CostJson>(
      await runCli([
        'cost',
        '--rate',
        '100',
        '--size',
        '1024',
        '--option',
        'kafka-ec2',
        '--ops-hours',
        '0',
        '--json',
      ]),
    );
    expect(opsOf(none, 'kafka-ec2')).toBeUndefined();
    const text = await runCli(['cost', '--rate', '100', '--size', '1024', '--option', 'kafka-ec2']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^Operations \(operator time\)\s+20 operator-hour\s+94\s+1,880\.00\s+operator-hour\s+20 h a month \(self-hosted\)/m,
    );
    expect(text.stdout).toMatch(/\boperations\b.*USD \/ month/);
    const bad = await runCli(['cost', '--rate', '1', '--size', '1', '--ops-hours', '-1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--ops-hours.*from 0 to 744/);
  });

  it('prices fan-out with --consumers and refuses a count that is not whole', async () => {
    const one = lastJson<CostJson>(
      await runCli(['cost', '--rate', '100', '--size', '1024', '--option', 'sqs', '--json']),
    );
    const three = lastJson<CostJson>(
      await runCli([
        'cost',
        '--rate',
        '100',
        '--size',
        '1024',
        '--option',
        'sqs',
        '--consumers',
        '3',
        '--json',
      ]),
    );
    expect(three.consumers).toBe(3);
    const fan = three.options[0]?.lines.filter((l) => l.kind === 'fan-out') ?? [];
    expect(fan.map((l) => l.label)).toEqual([
      'SQS SendMessageBatch (producers, another queue), 2 more consumer(s)',
      'SQS ReceiveMessage (Lambda poller), 2 more consumer(s)',
      'SQS DeleteMessageBatch, 2 more consumer(s)',
    ]);
    // 262,800,000 events: 26.28 M calls each of send, receive, delete per extra queue at 0.40 USD a million.
    expect((three.options[0]?.totalUsd ?? 0) - (one.options[0]?.totalUsd ?? 0)).toBeCloseTo(
      2 * 3 * 26.28 * 0.4,
      6,
    );
    const text = await runCli([
      'cost',
      '--rate',
      '100',
      '--size',
      '1024',
      '--consumers',
      '3',
      '--option',
      'sqs',
    ]);
    expect(text.stdout).toContain('3 consumer(s) of every event');
    const bad = await runCli(['cost', '--rate', '1', '--size', '1', '--consumers', '1.5']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--consumers.*whole number/);
  });

  it('warns when the load exceeds a quota of the Region, in text and in --json', async () => {
    const json = lastJson<CostJson>(
      await runCli([
        'cost',
        '--rate',
        '50000',
        '--size',
        '1024',
        '--region',
        'eu-central-1',
        '--option',
        'eventbridge,sqs',
        '--json',
      ]),
    );
    expect(json.quotaRegion).toBe('eu-central-1');
    expect(json.warnings).toEqual([
      // 50,000 events/s of 1 KiB: an hourly ELT run at 8 RPUs outlasts the hour (a warning for every option).
      expect.stringMatching(
        /^all options: ELT: a run takes [\d,.]+ min at 8 RPUs, longer than the 60 min between runs/,
      ),
      // …and compacting an hour of it takes longer than the compact function's 15 minutes.
      expect.stringMatching(
        /^all options: compaction \(Lambda landings\): a run's worth of partitions takes about/,
      ),
      expect.stringMatching(
        /^eventbridge: PutEvents: 5,000\/s requests \(10 entries each\) exceed the 2,400\/s quota of eu-central-1/,
      ),
    ]);
    const quiet = lastJson<CostJson>(await runCli(['cost', '--rate', '100', '--size', '1024', '--json']));
    expect(quiet.warnings).toEqual([]);
    const text = await runCli(['cost', '--rate', '150000', '--size', '1024', '--option', 'eventbridge']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Quota warnings (us-east-1):');
    expect(text.stdout).toMatch(/^ {2}! eventbridge: PutEvents: 15,000\/s requests/m);
    const bad = await runCli(['cost', '--rate', '1', '--size', '1', '--region', 'Mars']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--region.*AWS Region code/);
  });

  it('documents itself with examples', async () => {
    const run = await runCli(['cost', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('elt cost --rate 1000 --size 1024');
    for (const flag of [
      '--rate',
      '--size',
      '--retention-days',
      '--option',
      '--json',
      '--ops-hours',
      '--ops-rate',
      '--consumers',
      '--region',
    ])
      expect(run.stdout).toContain(flag);
    for (const o of COST_OPTIONS) expect(run.stdout).toContain(o.id);
  });
});
