import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_ASSUMPTIONS,
  describeAssumptions,
  OPERATOR_HOURS_PER_MONTH,
  OPERATOR_RATE_USD_PER_HOUR,
  type CostAssumptions,
} from '../../core/cost/assumptions.js';
import {
  COST_OPTIONS,
  computeCosts,
  CostInputError,
  type CostLine,
  type CostReport,
  LANDING_KINDS,
  type OptionCost,
} from '../../core/cost/cost-model.js';
import { loadPriceData } from '../../core/cost/load-price-data.js';
import { PriceDataError } from '../../core/cost/price-data.js';
import { CliError, n, table } from '../output.js';

interface CostOptions {
  readonly rate: number;
  readonly size: number;
  readonly retentionDays: number;
  readonly option?: string[];
  readonly json: boolean;
  readonly opsHours?: number;
  readonly opsRate: number;
  readonly consumers: number;
  readonly region?: string;
  /** false with --no-ingest-api. */
  readonly ingestApi: boolean;
  /** false with --no-compaction. */
  readonly compaction: boolean;
  readonly provisionedPollers: number;
  /** --oltp-relay: the share of the events from the outbox; unset leaves the relay out. */
  readonly oltpRelay?: number;
  /** --stream [parallelism]: the stream job on Managed Service for Apache Flink; unset leaves it out. */
  readonly stream?: true | number;
}

/** Operator hours a month: a number from 0 to 744 (the hours of a 31-day month). */
function parseOpsHours(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0 || v > 744)
    throw new InvalidArgumentError(
      'expected operator hours a month from 0 to 744, e.g. 20 (0 leaves operations out)',
    );
  return v;
}

function parseOpsRate(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0)
    throw new InvalidArgumentError('expected USD an hour, 0 or more, e.g. 94');
  return v;
}

function parseConsumers(value: string): number {
  const v = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || v < 1 || v > 10_000)
    throw new InvalidArgumentError('expected a whole number of consumers from 1 to 10,000');
  return v;
}

function parsePollers(value: string): number {
  const v = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || v > 200)
    throw new InvalidArgumentError('expected a whole number of event pollers from 0 to 200');
  return v;
}

function parseShare(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1)
    throw new InvalidArgumentError('expected the share of the events from the outbox, 0 to 1, e.g. 0.2');
  return v;
}

function parseParallelism(value: string): number {
  const v = Number(value);
  if (!/^\d+$/.test(value.trim()) || v < 1 || v > 64)
    throw new InvalidArgumentError(
      "expected the stream job's parallelism, a whole number from 1 to 64 (stream.parallelism)",
    );
  return v;
}

function parseRegion(value: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(value))
    throw new InvalidArgumentError('expected an AWS Region code, e.g. us-east-1 or eu-central-1');
  return value;
}

/** The assumptions with the operator hours and rate the flags give (one --ops-hours for every option). */
function withOperations(options: CostOptions): CostAssumptions {
  const hours = options.opsHours;
  return {
    ...DEFAULT_ASSUMPTIONS,
    ingestApi: { ...DEFAULT_ASSUMPTIONS.ingestApi, enabled: options.ingestApi },
    compaction: { ...DEFAULT_ASSUMPTIONS.compaction, enabled: options.compaction },
    kafkaLanding: { ...DEFAULT_ASSUMPTIONS.kafkaLanding, provisionedPollers: options.provisionedPollers },
    oltpRelay:
      options.oltpRelay === undefined
        ? DEFAULT_ASSUMPTIONS.oltpRelay
        : { ...DEFAULT_ASSUMPTIONS.oltpRelay, enabled: true, eventShare: options.oltpRelay },
    streamJob:
      options.stream === undefined
        ? DEFAULT_ASSUMPTIONS.streamJob
        : {
            ...DEFAULT_ASSUMPTIONS.streamJob,
            enabled: true,
            ...(options.stream === true ? {} : { parallelism: options.stream }),
          },
    operations: {
      hoursPerMonth:
        hours === undefined
          ? OPERATOR_HOURS_PER_MONTH
          : { 'self-hosted': hours, 'provisioned-cluster': hours, managed: hours },
      rateUsdPerHour: options.opsRate,
    },
  };
}

/** A positive number of events per second: 1000, 1_000, 1e3, 0.5. */
function parseRate(value: string): number {
  const v = Number(value.replace(/_/g, ''));
  if (value.trim() === '' || !Number.isFinite(v) || v <= 0)
    throw new InvalidArgumentError('expected a number of events per second above 0, e.g. 1000 or 0.5');
  return v;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, kib: 1024, mib: 1024 * 1024 };

/** Bytes per event: 1024, 1_024, 1KiB, 0.5MiB (whole bytes, at least 1). */
function parseSize(value: string): number {
  const m = /^\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()];
  const bytes = m?.[1] !== undefined && unit !== undefined ? Number(m[1].replace(/_/g, '')) * unit : NaN;
  if (!Number.isInteger(bytes) || bytes < 1)
    throw new InvalidArgumentError('expected whole bytes per event, at least 1: 1024, 1KiB or 0.25MiB');
  return bytes;
}

function parseRetention(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0 || v > 3650)
    throw new InvalidArgumentError('expected days from 0 to 3,650');
  return v;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim())];
}

/** Option ids, expanding a data-file option id (e.g. kinesis-data-streams) to the ways of running it. */
function resolveOptionIds(requested: readonly string[] | undefined): string[] | undefined {
  if (!requested) return undefined;
  const ids = requested.flatMap((id) => {
    const direct = COST_OPTIONS.filter((o) => o.id === id);
    if (direct.length > 0) return direct.map((o) => o.id);
    const byData = COST_OPTIONS.filter((o) => o.dataOptionId === id);
    if (byData.length > 0) return byData.map((o) => o.id);
    throw new CliError(`--option: no option "${id}" (known: ${COST_OPTIONS.map((o) => o.id).join(', ')})`);
  });
  return [...new Set(ids)];
}

/** US dollars with cents; "<0.01" for a cost above zero that rounds to nothing. */
export function usd(value: number): string {
  if (value > 0 && value < 0.005) return '<0.01';
  return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function quantity(x: number): string {
  const digits = x >= 100 ? 0 : x >= 1 ? 2 : x >= 0.01 ? 4 : 6;
  return x.toLocaleString('en-US', { maximumFractionDigits: digits });
}

const padLeft = (values: string[]): string[] => {
  const width = Math.max(...values.map((v) => [...v].length));
  return values.map((v) => v.padStart(width));
};

const sumKinds = (o: OptionCost, kinds: readonly CostLine['kind'][]): string => {
  const lines = o.lines.filter((l) => kinds.includes(l.kind));
  const priced = lines.reduce((s, l) => s + (l.usd ?? 0), 0);
  return lines.some((l) => l.usd === null) ? `≥ ${usd(priced)}` : usd(priced);
};

/**
 * Complete totals cheapest first; then lower bounds, ranked apart (by their priced part: a missing line
 * could put them anywhere above it); then what cannot carry the event.
 */
export function ranked(options: readonly OptionCost[]): OptionCost[] {
  const group = { priced: 0, unpriced: 1, 'cannot-carry': 2 } as const;
  return [...options].sort((a, b) => group[a.status] - group[b.status] || a.pricedUsd - b.pricedUsd);
}

/** The landing (Lambda + S3) of an option at the `i`-th window of `landingByWindow`. */
const landingAt = (o: OptionCost, i: number): string => {
  const at = o.landingByWindow[i];
  if (!at) return '—';
  return at.usd === null ? '≥ ?' : usd(at.usd);
};

function summaryTable(options: readonly OptionCost[], windows: readonly number[]): string {
  const carried = (o: OptionCost, text: string): string => (o.status === 'cannot-carry' ? '—' : text);
  const withStream = options.some((o) => o.lines.some((l) => l.kind === 'stream'));
  const cols = {
    bus: padLeft(options.map((o) => carried(o, sumKinds(o, ['bus', 'buffer', 'transfer', 'fan-out'])))),
    operations: padLeft(options.map((o) => carried(o, sumKinds(o, ['operations'])))),
    ingest: padLeft(options.map((o) => carried(o, sumKinds(o, ['ingest', 'logs'])))),
    landing: padLeft(options.map((o) => carried(o, sumKinds(o, LANDING_KINDS)))),
    longest: padLeft(options.map((o) => carried(o, landingAt(o, 1)))),
    warehouse: padLeft(options.map((o) => carried(o, sumKinds(o, ['warehouse'])))),
    stream: padLeft(options.map((o) => carried(o, sumKinds(o, ['stream'])))),
    total: padLeft(
      options.map((o) => carried(o, o.totalUsd !== null ? usd(o.totalUsd) : `≥ ${usd(o.pricedUsd)}`)),
    ),
  };
  return table(
    options.map((o, i) => ({
      option: o.id,
      'bus + buffer': cols.bus[i],
      [`landing + S3 (${windows[0] ?? '?'} s)`]: cols.landing[i],
      [`(${windows[1] ?? '?'} s window)`]: cols.longest[i],
      warehouse: cols.warehouse[i],
      'ingest + logs': cols.ingest[i],
      operations: cols.operations[i],
      ...(withStream ? { 'stream job': cols.stream[i] } : {}),
      'USD / month': cols.total[i],
      '':
        o.status === 'cannot-carry'
          ? o.cannotCarry
          : o.status === 'unpriced'
            ? `unpriced: ${o.missingPriceIds.join(', ')}`
            : '',
    })),
  );
}

function breakdown(o: OptionCost): string {
  const header =
    o.totalUsd !== null
      ? `${o.id} — ${o.name}: ${usd(o.totalUsd)} USD / month`
      : `${o.id} — ${o.name}: at least ${usd(o.pricedUsd)} USD / month; unpriced: ${o.missingPriceIds.join(', ')}`;
  const amounts = padLeft(o.lines.map((l) => (l.usd === null ? 'unpriced' : usd(l.usd))));
  const rows = o.lines.map((l, i) => ({
    line: l.label,
    quantity: `${quantity(l.quantity)} ${l.unit}`,
    '× USD': l.unitUsd === null ? '?' : String(l.unitUsd),
    '= USD': amounts[i],
    'price id': l.priceId,
    how: l.basis,
  }));
  const windows = o.landingByWindow
    .map((w) => `${w.usd === null ? 'unpriced' : usd(w.usd)} USD at a ${w.windowSeconds} s window`)
    .join(', ');
  const landing = `  · Landing (Lambda + S3): ${windows}.`;
  const notes = o.notes.map((note) => `  · ${note}`);
  return [header, table(rows), landing, ...notes].join('\n');
}

function sources(options: readonly OptionCost[]): string[] {
  const seen = new Map<string, CostLine>();
  for (const l of options.flatMap((o) => o.lines)) if (!seen.has(l.priceId)) seen.set(l.priceId, l);
  return [...seen.values()].map((l) =>
    l.source ? `  ${l.priceId}: ${l.source} (checked ${l.checked})` : `  ${l.priceId}: ${l.unpriced}`,
  );
}

function render(report: CostReport, explicit: boolean): string {
  const { input } = report;
  const order = ranked(report.options);
  const cheapest = order.find((o) => o.status === 'priced');
  const detailed = explicit
    ? order.filter((o) => o.status !== 'cannot-carry')
    : order.filter((o) => o === cheapest || o.id === 'eventbridge');
  const out = [
    `Monthly cost of ${n(input.ratePerSecond)} events/s × ${n(input.eventBytes)} bytes (${n(Math.round(report.eventsPerMonth))} events a month, ${n(input.retentionDays)} days of retention, ${n(report.consumers)} consumer(s) of every event), ${report.region}, ${report.currency}:`,
    '',
    summaryTable(order, [
      report.assumptions.batchWindowSeconds,
      report.assumptions.longestBatchWindowSeconds,
    ]),
    '',
    cheapest
      ? `Cheapest fully priced: ${cheapest.id} — ${cheapest.name}. "≥" marks a lower bound: a price it needs is not confirmed in the data files.`
      : 'No option is fully priced: "≥" marks a lower bound where a price is not confirmed in the data files.',
  ];
  if (report.warnings.length > 0)
    out.push('', `Quota warnings (${report.quotaRegion}):`, ...report.warnings.map((w) => `  ! ${w}`));
  for (const o of detailed) out.push('', breakdown(o));
  const carriedNone = order.every((o) => o.status === 'cannot-carry');
  if (!carriedNone)
    out.push('', 'Prices (data/aws-pricing.json, data/bus-comparison.json):', ...sources(detailed));
  out.push('', 'Assumptions:', ...describeAssumptions(report.assumptions).map((a) => `  · ${a}`));
  if (!explicit) out.push('', 'Breakdown of any option: --option <id> (repeatable). Every line: --json.');
  return `${out.join('\n')}\n`;
}

/** `elt cost`: what a month of traffic costs through each bus option, from the dated price files. */
export function costCommand(): Command {
  return new Command('cost')
    .description(
      'Estimate the monthly AWS cost of the pipeline for a steady event rate and size, through each bus option (EventBridge, Data Firehose, SQS standard and FIFO, SNS+SQS, Kinesis, Pub/Sub, MSK Serverless, provisioned and Express, self-hosted Kafka), line by line from data/aws-pricing.json and data/bus-comparison.json. Prices that are not confirmed there are never guessed: the total becomes a lower bound ("≥") naming the missing price ids.',
    )
    .requiredOption('--rate <events/s>', 'steady events per second (e.g. 1000, 0.5)', parseRate)
    .requiredOption(
      '--size <bytes>',
      'bytes per event as the bus carries it (e.g. 1024, 1KiB, 0.25MiB)',
      parseSize,
    )
    .addOption(
      new Option('--retention-days <days>', 'days the bus keeps events for replay (0–3,650)')
        .default(7)
        .argParser(parseRetention),
    )
    .addOption(
      new Option(
        '--option <id>',
        `only these options, with a line-by-line breakdown of each (repeatable or comma-separated): ${COST_OPTIONS.map((o) => o.id).join(', ')}`,
      ).argParser(collect),
    )
    .option(
      '--ops-hours <hours>',
      `operator hours a month, one figure for every option (default by option class: ${Object.entries(
        OPERATOR_HOURS_PER_MONTH,
      )
        .map(([k, h]) => `${k} ${h} h`)
        .join(', ')}); 0 leaves operations out`,
      parseOpsHours,
    )
    .addOption(
      new Option('--ops-rate <usd>', 'USD an operator hour costs (BLS-derived assumption, see Assumptions)')
        .default(OPERATOR_RATE_USD_PER_HOUR)
        .argParser(parseOpsRate),
    )
    .addOption(
      new Option(
        '--consumers <n>',
        'consumers reading every event, the landing included: each one beyond the first adds what the option charges to deliver or read it again',
      )
        .default(1)
        .argParser(parseConsumers),
    )
    .option(
      '--region <region>',
      "AWS Region whose quotas the warnings check (default: the data files' region, us-east-1); prices stay us-east-1",
      parseRegion,
    )
    .addOption(
      new Option(
        '--provisioned-pollers <n>',
        'Kafka landings in provisioned mode with N event pollers kept ready (kafka.provisionedPollers.minimum, 1–200); 0 is on-demand mode',
      )
        .default(0)
        .argParser(parsePollers),
    )
    .option(
      '--no-ingest-api',
      'leave out the HTTP ingest API (API Gateway, its function, idempotency writes): producers write to the bus directly',
    )
    .option(
      '--oltp-relay <share>',
      "add the marketplace database's outbox relay (the optional oltp deploy section: a scheduled function and two interface endpoints per zone), with this share of the events (0 to 1) coming from the outbox",
      parseShare,
    )
    .option(
      '--stream [parallelism]',
      'add the live-windows Flink job on Managed Service for Apache Flink (the stream deploy section): KPU-hours, the orchestration KPU, running storage and logs, and on EventBridge its Kinesis feed and results pipe; parallelism 1 to 64 (default 1, one KPU)',
      parseParallelism,
    )
    .option(
      '--no-compaction',
      'leave out the compact step (closed hour partitions merged into large objects after every ELT run): the landed objects stay as written',
    )
    .option('--json', 'the whole report (every line of every option) as JSON on stdout', false)
    .addHelpText(
      'after',
      `
Examples:
  $ elt cost --rate 1000 --size 1024
  $ elt cost --rate 50 --size 2KiB --retention-days 30 --option eventbridge --option kafka-ec2
  $ elt cost --rate 10000 --size 512 --option kinesis-data-streams --json
  $ elt cost --rate 1000 --size 1024 --consumers 3 --ops-hours 0
  $ elt cost --rate 200000 --size 1024 --region eu-central-1 --option eventbridge
  $ elt cost --rate 10 --size 1024 --no-ingest-api --option sqs,sqs-fifo
  $ elt cost --rate 100 --size 1024 --oltp-relay 0.3 --option eventbridge
  $ elt cost --rate 100 --size 1024 --stream --option eventbridge,msk-serverless

Each option's month is the bus (and the SQS buffer where it needs one), the ingest API in front of it
(and with --oltp-relay the outbox relay, with --stream the Flink job),
the landing (Lambda or Firehose), S3 requests and a year of raw storage, the ELT runs and storage on
Redshift Serverless, and the functions' CloudWatch Logs. Complete totals are ranked first; an option
missing a price is a lower bound ("≥"), ranked apart after them. An event larger than an option carries is reported as
such for that option (Kinesis takes up to 10 MiB once the stream's maximum record size is raised; the
landing invocation caps every option at 6 MiB a batch). The landing is shown at the assumed batching window and at the
longest (300 s). Operator time is a line of its own: by default 20 h a month for self-hosted Kafka, 8 h
for MSK provisioned and 2 h for a managed bus, at 94 USD an hour; a single --ops-hours applies to every
option. Loads above a quota (EventBridge PutEvents and target invocations of the Region, Kinesis
on-demand start and shard limits, MSK Serverless cluster limits) are printed as warnings ("warnings" in
--json). The assumptions are printed after the figures.`,
    )
    .action((options: CostOptions) => {
      let report: CostReport;
      try {
        report = computeCosts(
          { ratePerSecond: options.rate, eventBytes: options.size, retentionDays: options.retentionDays },
          loadPriceData(),
          {
            ...(options.option ? { optionIds: resolveOptionIds(options.option) } : {}),
            assumptions: withOperations(options),
            consumers: options.consumers,
            ...(options.region ? { region: options.region } : {}),
          },
        );
      } catch (error) {
        if (error instanceof CostInputError || error instanceof PriceDataError)
          throw new CliError(error.message);
        throw error;
      }
      if (options.json) {
        const order = ranked(report.options);
        const ids = (status: OptionCost['status']): string[] =>
          order.filter((o) => o.status === status).map((o) => o.id);
        const ranking = {
          complete: ids('priced'),
          lowerBounds: ids('unpriced'),
          cannotCarry: ids('cannot-carry'),
        };
        process.stdout.write(
          `${JSON.stringify({ ...report, cheapest: ranking.complete[0] ?? null, ranking, assumptionsText: describeAssumptions(report.assumptions) })}\n`,
        );
        return;
      }
      process.stdout.write(render(report, options.option !== undefined));
    });
}
