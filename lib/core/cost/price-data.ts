/**
 * The shapes of the two dated data files the cost model and the comparison doc read:
 * data/aws-pricing.json (AWS prices of the pipeline itself) and data/bus-comparison.json (the bus options,
 * their facts and bus prices). A value that was not confirmed is `null`, never a guess.
 */
import { isJsonObject as isObject } from '../patterns/json-value.js';
import { EltError } from '../util/errors.js';

/** One price: a dated figure with its source; `usd` is null until someone confirms it. */
export interface PriceEntry {
  readonly id: string;
  readonly service: string;
  readonly description: string;
  readonly usd: number | null;
  /** The unit the price is for, e.g. "million events", "GB-month", "1,000 requests". */
  readonly per: string;
  readonly freeTier: string | null;
  readonly source: string;
  readonly checked: string;
  readonly note?: string;
  /**
   * Where the figure itself was read when the primary page does not show it (its tables render
   * client-side): `aws-authored` (AWS text elsewhere: a worked example, a copy of the table),
   * `price-list-derived` (a file generated from the AWS Price List API, e.g. infracost's test output),
   * `third-party` (someone else's table). Absent: the note says.
   */
  readonly figureFrom?: FigureFrom;
}

/** {@link PriceEntry} `figureFrom`. */
export const FIGURE_FROM = ['primary', 'aws-authored', 'price-list-derived', 'third-party'] as const;
export type FigureFrom = (typeof FIGURE_FROM)[number];

/** One fact about a bus option on one dimension; `value` is null when it was not confirmed. */
export interface Fact {
  readonly value: string | null;
  readonly source: string;
  readonly checked: string;
  readonly note?: string;
  readonly secondarySource?: string;
}

// prettier-ignore
const DIMENSION_KEYS = [
  'deliverySemantics', 'ordering', 'duplicates', 'retentionAndReplay', 'fanOut', 'throughputQuotas', 'latency',
  'maxPayload', 'schemas', 'operationsBurden', 'failureModes', 'securityModel', 'lockIn',
] as const;

/** Headings of docs/comparison.md that are not the key in sentence case. */
const DIMENSION_LABELS: Partial<Record<(typeof DIMENSION_KEYS)[number], string>> = {
  fanOut: 'Fan-out',
  maxPayload: 'Payload size',
  lockIn: 'Lock-in',
};

/**
 * The dimensions every bus option is described on, in the order the comparison doc uses; `label` is the
 * doc's heading (the key in sentence case: `retentionAndReplay` is "Retention and replay").
 */
export const DIMENSIONS = DIMENSION_KEYS.map((key) => ({
  key,
  label:
    DIMENSION_LABELS[key] ??
    key.charAt(0).toUpperCase() + key.slice(1).replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`),
}));

/** A dimension key of {@link DIMENSIONS}. */
export type DimensionKey = (typeof DIMENSIONS)[number]['key'];

/** A bus option of data/bus-comparison.json. */
export interface BusOption {
  readonly id: string;
  readonly name: string;
  readonly kind: 'managed' | 'self-hosted';
  readonly facts: Readonly<Record<DimensionKey, Fact>>;
  readonly note?: string;
}

/** What both data files hold: prices of one region, in one currency. */
export interface PriceFile {
  readonly region: string;
  readonly currency: string;
  readonly prices: readonly PriceEntry[];
}

/** data/aws-pricing.json. */
export type AwsPricingFile = PriceFile;

/** data/bus-comparison.json: the bus options' facts beside their prices. */
export interface BusComparisonFile extends PriceFile {
  readonly checked: string;
  readonly note: string;
  readonly options: readonly BusOption[];
  /** Ids of data/aws-pricing.json entries the comparison also uses. */
  readonly reuses: readonly string[];
}

/** Both data files, as the cost model and the doc renderer take them. */
export interface PriceData {
  readonly comparison: BusComparisonFile;
  readonly pricing: AwsPricingFile;
}

/** A data file that does not have the expected shape; the message names the file and the field. */
export class PriceDataError extends EltError {}

/** Every price of both files by id (a bus-comparison price wins over an aws-pricing one of the same id). */
export function priceBook(data: PriceData): ReadonlyMap<string, PriceEntry> {
  return new Map([...data.pricing.prices, ...data.comparison.prices].map((p) => [p.id, p]));
}

function checkPrice(file: string, p: unknown, i: number): PriceEntry {
  const where = `${file}: prices[${i}]`;
  if (!isObject(p)) throw new PriceDataError(`${where} is not an object`);
  for (const key of ['id', 'service', 'description', 'per', 'source', 'checked'] as const) {
    if (typeof p[key] !== 'string' || p[key] === '')
      throw new PriceDataError(`${where}.${key} must be a non-empty string`);
  }
  if (p.usd !== null && (typeof p.usd !== 'number' || !Number.isFinite(p.usd) || p.usd < 0))
    throw new PriceDataError(`${where}.usd (${String(p.id)}) must be a number ≥ 0 or null`);
  if (p.figureFrom !== undefined && !(FIGURE_FROM as readonly unknown[]).includes(p.figureFrom))
    throw new PriceDataError(
      `${where}.figureFrom (${String(p.id)}) must be one of ${FIGURE_FROM.join(', ')}, got ${JSON.stringify(p.figureFrom)}`,
    );
  return p as unknown as PriceEntry;
}

function checkOption(o: unknown, i: number): BusOption {
  const where = `data/bus-comparison.json: options[${i}]`;
  if (!isObject(o) || typeof o.id !== 'string' || typeof o.name !== 'string' || !isObject(o.facts))
    throw new PriceDataError(`${where} needs an id, a name and facts`);
  for (const { key } of DIMENSIONS) {
    const fact = o.facts[key];
    if (!isObject(fact)) throw new PriceDataError(`${where} (${o.id}) has no fact "${key}"`);
    if (fact.value !== null && typeof fact.value !== 'string')
      throw new PriceDataError(`${where} (${o.id}).facts.${key}.value must be a string or null`);
    if (typeof fact.source !== 'string' || typeof fact.checked !== 'string')
      throw new PriceDataError(`${where} (${o.id}).facts.${key} needs a source and a checked date`);
  }
  return o as unknown as BusOption;
}

/** Checks the parsed JSON of both files and returns them typed; throws {@link PriceDataError}. */
export function parsePriceData(comparison: unknown, pricing: unknown): PriceData {
  if (!isObject(comparison) || !Array.isArray(comparison.options) || !Array.isArray(comparison.prices))
    throw new PriceDataError('data/bus-comparison.json must have "options" and "prices" arrays');
  if (!isObject(pricing) || !Array.isArray(pricing.prices))
    throw new PriceDataError('data/aws-pricing.json must have a "prices" array');
  comparison.options.forEach(checkOption);
  comparison.prices.forEach((p, i) => checkPrice('data/bus-comparison.json', p, i));
  pricing.prices.forEach((p, i) => checkPrice('data/aws-pricing.json', p, i));
  return {
    comparison: comparison as unknown as BusComparisonFile,
    pricing: pricing as unknown as AwsPricingFile,
  };
}
