import { DEFAULT_ASSUMPTIONS, describeAssumptions } from './assumptions.js';
import { computeCosts, type CostLine, type OptionCost } from './cost-model.js';
import { GeneratedBlockError, replaceGeneratedBlocks } from './generated-blocks.js';
import { cell, markdownTable } from './markdown-table.js';
import { DIMENSIONS, priceBook, type BusOption, type Fact, type PriceData } from './price-data.js';
import { recommendationBlock } from './recommendation.js';
import { EltError } from '../util/errors.js';

/** The rates the doc prices, in events per second, and the event size it prices them at. */
export const DOC_RATES = [10, 100, 1000, 10_000] as const;
export const DOC_EVENT_BYTES = 1024;
export const DOC_RETENTION_DAYS = 7;

/** The project's own measurements the doc sets beside the published ones (docs/benchmarks/*.json). */
export interface BenchmarkInputs {
  readonly embedded: unknown;
  readonly kafka: unknown;
  /** docs/loadtest/<transport>.json of `elt loadtest`, by transport. */
  readonly loadtests?: Readonly<Record<string, unknown>>;
}

/** Everything docs/comparison.md is generated from. */
export interface ComparisonDocInputs {
  readonly data: PriceData;
  readonly benchmarks: BenchmarkInputs;
}

/** A generated block is missing from the doc, or a benchmark file lacks a field. */
export class ComparisonDocError extends EltError {}

/** The generated blocks of docs/comparison.md, by marker name. */
export function generatedBlocks(inputs: ComparisonDocInputs): ReadonlyMap<string, string> {
  const blocks = new Map<string, string>();
  blocks.set('recommendation', recommendationBlock(inputs.data));
  blocks.set('options', optionsBlock(inputs.data));
  for (const d of DIMENSIONS) blocks.set(`facts:${d.key}`, factsBlock(inputs.data, d.key));
  blocks.set('costs', costsBlock(inputs.data));
  blocks.set(
    'assumptions',
    describeAssumptions(DEFAULT_ASSUMPTIONS)
      .map((a) => `- ${a}`)
      .join('\n'),
  );
  blocks.set('prices', pricesBlock(inputs.data));
  blocks.set('measurements', measurementsBlock(inputs.benchmarks));
  blocks.set('loadtests', loadtestsBlock(inputs.benchmarks.loadtests ?? {}));
  return blocks;
}

/**
 * docs/comparison.md as it should be: the hand-written text of `current` kept as it is, every generated
 * block between its markers rewritten from the data files and the benchmarks.
 */
export function renderComparisonDoc(current: string, inputs: ComparisonDocInputs): string {
  try {
    return replaceGeneratedBlocks(current, generatedBlocks(inputs), 'docs/comparison.md', 'the data files');
  } catch (error) {
    if (error instanceof GeneratedBlockError) throw new ComparisonDocError(error.message, { cause: error });
    throw error;
  }
}

const link = (url: string, text: string): string => `[${text}](${url})`;
const money = (x: number): string =>
  x.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 0 });

function optionsBlock(data: PriceData): string {
  return markdownTable(
    ['option', 'what it is', 'kind'],
    data.comparison.options.map((o) => [`\`${o.id}\``, cell(o.name), o.kind]),
  );
}

/** A fact as a table cell: the value, or "not confirmed" with the note that says what is known. */
export function factCell(fact: Fact): string {
  if (fact.value === null) return cell(`**not confirmed** — ${fact.note ?? 'no note'}`);
  return cell(fact.note ? `${fact.value} _Note: ${fact.note}_` : fact.value);
}

function sourceCell(fact: Fact): string {
  const primary = link(fact.source, 'source');
  return fact.secondarySource ? `${primary}, ${link(fact.secondarySource, 'secondary')}` : primary;
}

function factsBlock(data: PriceData, key: (typeof DIMENSIONS)[number]['key']): string {
  return markdownTable(
    ['option', 'what the sources say', 'source', 'checked'],
    data.comparison.options.map((o: BusOption) => [
      `\`${o.id}\``,
      factCell(o.facts[key]),
      sourceCell(o.facts[key]),
      o.facts[key].checked,
    ]),
  );
}

function totalCell(o: OptionCost): string {
  if (o.status === 'cannot-carry') return 'cannot carry';
  return o.totalUsd !== null
    ? money(o.totalUsd)
    : `≥ ${money(o.pricedUsd)} (missing ${o.missingPriceIds.map((id) => `\`${id}\``).join(', ')})`;
}

function busCell(o: OptionCost): string {
  const lines = o.lines.filter((l: CostLine) => ['bus', 'buffer', 'transfer'].includes(l.kind));
  const sum = lines.reduce((s, l) => s + (l.usd ?? 0), 0);
  return lines.some((l) => l.usd === null) ? `≥ ${money(sum)}` : money(sum);
}

/** The landing at the assumed window and at the longest one: "5 / 2". */
function landingCell(o: OptionCost): string {
  if (o.status === 'cannot-carry') return 'cannot carry';
  return o.landingByWindow.map((w) => (w.usd === null ? 'unpriced' : money(w.usd))).join(' / ');
}

function costsBlock(data: PriceData): string {
  const reports = DOC_RATES.map((rate) =>
    computeCosts(
      { ratePerSecond: rate, eventBytes: DOC_EVENT_BYTES, retentionDays: DOC_RETENTION_DAYS },
      data,
    ),
  );
  const first = reports[0];
  if (!first) throw new ComparisonDocError('no rates to price');
  const rateHeaders = DOC_RATES.map((r) => `${r.toLocaleString('en-US')}/s`);
  const align = ['left' as const, ...DOC_RATES.map(() => 'right' as const)];
  const rows = (pick: (o: OptionCost) => string): string[][] =>
    first.options.map((o, i) => [`\`${o.id}\``, ...reports.map((r) => pick(r.options[i] ?? o))]);
  const windows = `${DEFAULT_ASSUMPTIONS.batchWindowSeconds} s / ${DEFAULT_ASSUMPTIONS.longestBatchWindowSeconds} s`;
  const missing = [...new Set(reports.flatMap((r) => r.options.flatMap((o) => o.missingPriceIds)))].sort();
  return [
    `Whole pipeline, USD a month, events of ${DOC_EVENT_BYTES.toLocaleString('en-US')} bytes, ${DOC_RETENTION_DAYS} days of retention, one consumer, operator time included (${Object.entries(
      DEFAULT_ASSUMPTIONS.operations.hoursPerMonth,
    )
      .map(([k, h]) => `${h} h ${k}`)
      .join(
        ', ',
      )} a month at ${DEFAULT_ASSUMPTIONS.operations.rateUsdPerHour} USD an hour; \`--ops-hours 0\` leaves it out) (\`elt cost --rate <rate> --size ${DOC_EVENT_BYTES}\`):`,
    '',
    markdownTable(['option', ...rateHeaders], rows(totalCell), align),
    '',
    'The bus alone (bus, SQS buffer where the option needs one, transfer), USD a month:',
    '',
    markdownTable(['option', ...rateHeaders], rows(busCell), align),
    '',
    `Landing (Lambda, S3 requests and storage), USD a month, at the one batching window every Lambda landing path is priced at and at the longest one Lambda allows (${windows}); a batch also ends at ${DEFAULT_ASSUMPTIONS.landing.batchSize.toLocaleString('en-US')} events, so at high rates both windows give the same figure:`,
    '',
    markdownTable(['option', ...rateHeaders], rows(landingCell), align),
    '',
    missing.length > 0
      ? `"≥" is a lower bound: these prices are not confirmed in the data files yet, so their lines count nothing: ${missing.map((id) => `\`${id}\``).join(', ')}.`
      : 'Every price these figures need is confirmed in the data files.',
  ].join('\n');
}

function pricesBlock(data: PriceData): string {
  const book = priceBook(data);
  const used = new Set(
    DOC_RATES.flatMap((rate) =>
      computeCosts(
        { ratePerSecond: rate, eventBytes: DOC_EVENT_BYTES, retentionDays: DOC_RETENTION_DAYS },
        data,
      )
        // Operator time is an assumption (its rate is in the assumptions block), not a data-file price.
        .options.flatMap((o) => o.lines.filter((l) => l.kind !== 'operations').map((l) => l.priceId)),
    ),
  );
  return markdownTable(
    ['price id', 'USD', 'per', 'source', 'figure read from', 'checked'],
    [...used].sort().map((id) => {
      const p = book.get(id);
      if (!p) return [`\`${id}\``, 'not in the data files', '', '', '', ''];
      return [
        `\`${id}\``,
        p.usd === null ? 'not confirmed' : String(p.usd),
        cell(p.per),
        link(p.source, 'source'),
        p.figureFrom ?? 'see the data file note',
        p.checked,
      ];
    }),
    ['left', 'right'],
  );
}

/** A number with thousands separators; text as it is. */
const num = (v: number | string): string => (typeof v === 'number' ? v.toLocaleString('en-US') : v);

/** Reads a field of a benchmark file, failing with its path when the file changed shape. */
function field(root: unknown, file: string, path: string, dir = 'docs/benchmarks'): number | string {
  let v: unknown = root;
  for (const key of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[key];
  if (typeof v !== 'number' && typeof v !== 'string')
    throw new ComparisonDocError(`${dir}/${file} has no ${path}`);
  return v;
}

/** What each transport took under `elt loadtest` before backpressure, and the loss check. */
const LOADTEST_PATHS: Readonly<Record<string, string>> = {
  local: 'HTTP ingest API → in-process bus → queue → landing',
  kafka: 'KafkaBus → Kafka topic (3 partitions) → consumer group → landing',
  localstack: 'PutEvents → EventBridge → SQS → landing function (all on LocalStack)',
};

function loadtestsBlock(runs: Readonly<Record<string, unknown>>): string {
  const rows = Object.entries(runs).map(([transport, run]) => {
    const f = (path: string): number | string => field(run, `${transport}.json`, path, 'docs/loadtest');
    const ms = (v: number | string): string =>
      typeof v === 'number' ? (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${num(v)} ms`) : v;
    const backpressure = (run as { summary?: { backpressure?: { rate?: unknown } } }).summary?.backpressure
      ?.rate;
    return [
      `\`${transport}\``,
      LOADTEST_PATHS[transport] ?? transport,
      `${num(f('summary.keptUpTo'))} /s`,
      typeof backpressure === 'number' ? `${num(backpressure)} /s` : 'not reached',
      `${num(f('summary.peakLandedPerSecond'))} /s`,
      `${ms(f('summary.latency.p50Ms'))} / ${ms(f('summary.latency.p99Ms'))}`,
      `${num(f('summary.accepted'))}: lost ${num(f('summary.lost'))}, twice ${num(f('summary.duplicates'))}`,
      `${String(f('machine.date')).slice(0, 10)}, ${String(f('machine.cores'))} cores`,
    ];
  });
  if (rows.length === 0) return '(no load test results in docs/loadtest/)';
  return markdownTable(
    [
      'transport',
      'path',
      'kept up with',
      'backpressure from',
      'top landed rate',
      'latency p50 / p99',
      'accepted',
      'measured',
    ],
    rows,
    ['left', 'left', 'right', 'right', 'right', 'right', 'left', 'left'],
  );
}

function measurementsBlock(b: BenchmarkInputs): string {
  const k = (path: string): number | string => field(b.kafka, 'kafka.json', path);
  const e = (path: string): number | string => field(b.embedded, 'embedded-pipeline.json', path);
  const pct = (v: number | string): string => (typeof v === 'number' ? `${Math.round(v * 100)}%` : v);
  const day = (v: number | string): string => String(v).slice(0, 10);
  const kafkaDay = day(k('machine.date'));
  const machine = `${String(k('machine.cores'))} cores, Node ${String(k('machine.node'))}, Kafka ${String(k('machine.versions.kafka'))}`;
  const table = markdownTable(
    ['measure', 'this project', 'reference', 'ours / reference', 'measured'],
    [
      [
        'Kafka producer, records/s',
        `${num(k('producer.ours.recordsPerSecond'))} (KafkaBus + publishEvents)`,
        `${num(k('producer.recordSize.recordsPerSecond'))} (Kafka ProducerPerformance, ${num(k('producer.recordSize.recordBytes'))}-byte records)`,
        pct(k('producer.ratio')),
        `${kafkaDay}, ${machine}`,
      ],
      [
        'Kafka consume → land, records/s',
        `${num(k('consumer.ours.recordsPerSecond'))} (KafkaLanding: validate, gzip, write, commit)`,
        `${num(k('consumer.perf.recordsPerSecond'))} (Kafka ConsumerPerformance, fetch only)`,
        pct(k('consumer.ratio')),
        `${kafkaDay}, ${machine}`,
      ],
      [
        'Embedded pipeline, events/s',
        `${num(e('pipeline.eventsPerSecond'))} (publish → bus → queue → land, ${num(e('pipeline.eventsPerObject'))} events per object)`,
        `${num(e('ceiling.eventsPerSecond'))} (parse + validate + stringify + gzip, one thread)`,
        pct(e('ratio')),
        `${day(e('machine.date'))}, ${String(e('machine.cores'))} cores, Node ${String(e('machine.node'))}`,
      ],
    ],
    ['left', 'left', 'left', 'right', 'left'],
  );
  const targets = [b.embedded, b.kafka].flatMap((file) => {
    const list = (file as { targets?: unknown } | undefined)?.targets;
    return Array.isArray(list) ? (list as { target?: unknown; value?: unknown; met?: unknown }[]) : [];
  });
  return [
    table,
    '',
    "The project's own targets for these runs:",
    '',
    ...targets.map(
      (t) =>
        `- ${cell(String(t.target))}: ${cell(String(t.value))}, ${t.met === true ? 'met' : '**not met**'}`,
    ),
  ].join('\n');
}
