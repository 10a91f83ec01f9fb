/**
 * What the cost model says about choosing, computed, not asserted: the cheapest complete option across
 * rates, the rates at which each option becomes cheaper than SQS, what one more consumer adds, and the
 * cost-against-rate chart of docs/comparison.md. Everything here is a function of the data files and the
 * assumptions, so `npm run gen` rewrites it when a price changes and the drift test sees it.
 */
import { DEFAULT_ASSUMPTIONS, type CostAssumptions } from './assumptions.js';
import { costChartSvg } from './cost-chart.js';
import { computeCosts, type CostReport, type OptionCost } from './cost-model.js';
import { markdownTable } from './markdown-table.js';
import type { PriceData } from './price-data.js';

/** The event size, retention and consumers every figure here is for (the doc's cost tables use the same). */
export const RECOMMENDATION_INPUT = { eventBytes: 1024, retentionDays: 7 } as const;

/** Rates of the chart and the cheapest-by-rate table: 1, 2, 5, 10 … 100,000 events/s. */
export const CHART_RATES: readonly number[] = [0, 1, 2, 3, 4]
  .flatMap((decade) => [1, 2, 5].map((m) => m * 10 ** decade))
  .concat([100_000]);

/** The baseline the crossovers are measured against: the cheapest complete option at low rates. */
const BASELINE = 'sqs';

/** One option's monthly total at one rate; `lowerBound` when a price is missing, null when it cannot carry. */
export interface CurvePoint {
  readonly rate: number;
  readonly usd: number | null;
  readonly lowerBound: boolean;
}

function pointOf(o: OptionCost, rate: number): CurvePoint {
  if (o.status === 'cannot-carry') return { rate, usd: null, lowerBound: false };
  return { rate, usd: o.totalUsd ?? o.pricedUsd, lowerBound: o.totalUsd === null };
}

/**
 * Reports already computed, by data files, assumptions, rate and consumers: the crossovers, the tables and
 * the chart ask for the same rates again and again (a report is never changed once made).
 */
const reports = new WeakMap<PriceData, WeakMap<CostAssumptions, Map<string, CostReport>>>();

function report(data: PriceData, rate: number, a: CostAssumptions, consumers = 1): CostReport {
  let byAssumptions = reports.get(data);
  if (!byAssumptions) reports.set(data, (byAssumptions = new WeakMap()));
  let byInput = byAssumptions.get(a);
  if (!byInput) byAssumptions.set(a, (byInput = new Map()));
  const key = `${rate}/${consumers}`;
  let r = byInput.get(key);
  if (!r) {
    r = computeCosts({ ratePerSecond: rate, ...RECOMMENDATION_INPUT }, data, { assumptions: a, consumers });
    byInput.set(key, r);
  }
  return r;
}

/** Every option's total at each rate, in the model's option order. */
export function costCurves(
  data: PriceData,
  rates: readonly number[] = CHART_RATES,
  a: CostAssumptions = DEFAULT_ASSUMPTIONS,
): { readonly id: string; readonly points: readonly CurvePoint[] }[] {
  const atRates = rates.map((rate) => report(data, rate, a));
  const first = atRates[0];
  if (!first) return [];
  return first.options.map((o, i) => ({
    id: o.id,
    points: atRates.map((r, j) => pointOf(r.options[i] ?? o, rates[j] ?? 0)),
  }));
}

/** The cheapest option with a complete total at `rate`, and how much more the next one costs. */
export function cheapestAt(
  data: PriceData,
  rate: number,
  a: CostAssumptions = DEFAULT_ASSUMPTIONS,
): { id: string; usd: number; next: { id: string; usd: number } | null } | null {
  const complete = report(data, rate, a)
    .options.filter((o): o is OptionCost & { totalUsd: number } => o.totalUsd !== null)
    .sort((x, y) => x.totalUsd - y.totalUsd);
  const [best, next] = complete;
  if (!best) return null;
  return { id: best.id, usd: best.totalUsd, next: next ? { id: next.id, usd: next.totalUsd } : null };
}

/** `option`'s total minus `baseline`'s at `rate` (null when either lacks a complete total). */
function gap(
  data: PriceData,
  option: string,
  baseline: string,
  rate: number,
  a: CostAssumptions,
): number | null {
  const r = report(data, rate, a);
  const o = r.options.find((x) => x.id === option)?.totalUsd;
  const b = r.options.find((x) => x.id === baseline)?.totalUsd;
  return o === null || o === undefined || b === null || b === undefined ? null : o - b;
}

/**
 * The lowest rate from which `option` costs less than `baseline` at every chart rate above it, found to
 * two significant figures by bisection between the chart rates that bracket it; null when it never does
 * within the chart (or a total is missing), 1 when it is cheaper already at the lowest rate.
 */
export function crossoverRate(
  data: PriceData,
  option: string,
  baseline: string = BASELINE,
  a: CostAssumptions = DEFAULT_ASSUMPTIONS,
  rates: readonly number[] = CHART_RATES,
): number | null {
  const gaps = rates.map((r) => gap(data, option, baseline, r, a));
  if (gaps.some((g) => g === null)) return null;
  let i = gaps.length - 1;
  if ((gaps[i] ?? 0) >= 0) return null;
  while (i > 0 && (gaps[i - 1] ?? 0) < 0) i -= 1;
  if (i === 0) return rates[0] ?? null;
  let lo = rates[i - 1] ?? 0;
  let hi = rates[i] ?? 0;
  for (let step = 0; step < 16; step += 1) {
    const mid = Math.sqrt(lo * hi);
    if ((gap(data, option, baseline, mid, a) ?? 0) < 0) hi = mid;
    else lo = mid;
  }
  return Number(hi.toPrecision(2));
}

/** What each consumer beyond the first adds to an option's month at `rate`, in USD. */
export function perConsumer(
  data: PriceData,
  option: string,
  rate: number,
  a: CostAssumptions = DEFAULT_ASSUMPTIONS,
): number | null {
  const one = report(data, rate, a, 1).options.find((o) => o.id === option);
  const two = report(data, rate, a, 2).options.find((o) => o.id === option);
  if (!one || !two || one.totalUsd === null || two.totalUsd === null) return null;
  return two.totalUsd - one.totalUsd;
}

const n = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: x >= 10 ? 0 : 2 });
const usd = (x: number): string => `$${n(x)}`;
const code = (id: string): string => `\`${id}\``;

/** Rate bands over which the same option is cheapest: "1–20/s: sqs". */
function cheapestBands(data: PriceData, a: CostAssumptions): string[][] {
  const rows: string[][] = [];
  for (const rate of CHART_RATES) {
    const c = cheapestAt(data, rate, a);
    const id = c?.id ?? 'none complete';
    const share = c?.next ? `${code(c.next.id)}, ${n(((c.next.usd - c.usd) / c.usd) * 100)}% more` : '—';
    const last = rows.at(-1);
    if (last && last[1] === code(id)) {
      last[0] = `${last[0]?.split('–')[0] ?? ''}–${n(rate)}`;
      last[2] = share;
    } else rows.push([n(rate), code(id), share]);
  }
  return rows;
}

/** The recommendation block of docs/comparison.md: derived thresholds, each with the model behind it. */
export function recommendationBlock(data: PriceData, a: CostAssumptions = DEFAULT_ASSUMPTIONS): string {
  const noOps: CostAssumptions = {
    ...a,
    operations: {
      ...a.operations,
      hoursPerMonth: { 'self-hosted': 0, 'provisioned-cluster': 0, managed: 0 },
    },
  };
  const contenders = [
    'kinesis-provisioned',
    'kinesis-on-demand',
    'firehose',
    'msk-serverless',
    'msk-provisioned',
    'kafka-ec2',
  ];
  const crossing = (x: number | null): string => (x === null ? 'not below 100,000/s' : `from ${n(x)}/s`);
  const crossovers = contenders.map((id) => [
    code(id),
    crossing(crossoverRate(data, id, BASELINE, a)),
    crossing(crossoverRate(data, id, BASELINE, noOps)),
  ]);
  const at = 1000;
  const fanOut = ['sqs', 'sns-sqs', 'eventbridge', 'kinesis-on-demand', 'msk-serverless', 'kafka-ec2'].map(
    (id) => {
      const extra = perConsumer(data, id, at, a);
      return [code(id), extra === null ? 'not priced' : usd(extra)];
    },
  );
  const sqsTotal = cheapestAt(data, at, a);
  const eb = report(data, at, a).options.find((o) => o.id === 'eventbridge')?.totalUsd ?? null;
  const sqs = report(data, at, a).options.find((o) => o.id === BASELINE)?.totalUsd ?? null;
  const premium =
    eb !== null && sqs !== null
      ? `At ${n(at)} events/s EventBridge → SQS costs ${usd(eb - sqs)} a month more than SQS alone (${usd(eb)} against ${usd(sqs)}): ${usd(((eb - sqs) / (at * 730 * 3600)) * 1e6)} per million events.`
      : 'EventBridge or SQS lacks a complete total here.';
  return [
    `Computed by \`npm run gen\` from the cost model (events of ${RECOMMENDATION_INPUT.eventBytes.toLocaleString('en-US')} bytes, ${RECOMMENDATION_INPUT.retentionDays} days of retention, one consumer, operator time at the defaults unless a column says otherwise).`,
    '',
    'Cheapest complete total by rate (and the runner-up):',
    '',
    markdownTable(['events/s', 'cheapest', 'next'], cheapestBands(data, a), ['right', 'left', 'left']),
    '',
    `When each option becomes cheaper than \`${BASELINE}\` (and stays cheaper up to 100,000/s):`,
    '',
    markdownTable(['option', 'with operator time', 'without operator time (`--ops-hours 0`)'], crossovers, [
      'left',
      'right',
      'right',
    ]),
    '',
    `${premium} ${sqsTotal ? `The cheapest complete option there is ${code(sqsTotal.id)}.` : ''}`.trim(),
    '',
    `What one more consumer of every event adds at ${n(at)} events/s, a month:`,
    '',
    markdownTable(['option', 'each consumer beyond the first'], fanOut, ['left', 'right']),
  ].join('\n');
}

/** docs/cost-vs-rate.svg: every option's monthly total from 1 to 100,000 events/s, log scales. */
export function costChart(data: PriceData, a: CostAssumptions = DEFAULT_ASSUMPTIONS): string {
  return costChartSvg({
    title: 'Monthly cost against event rate, every option (elt cost)',
    subtitle: `${RECOMMENDATION_INPUT.eventBytes.toLocaleString('en-US')}-byte events, ${RECOMMENDATION_INPUT.retentionDays} days of retention, one consumer, operator time included; us-east-1 list prices (data/*.json)`,
    xLabel: 'events per second',
    yLabel: 'USD a month',
    series: costCurves(data, CHART_RATES, a),
  });
}
