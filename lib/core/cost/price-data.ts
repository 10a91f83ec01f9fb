/**
 * The shapes of the two dated data files the cost model and the comparison doc read:
 * data/aws-pricing.json (AWS prices of the pipeline itself) and data/bus-comparison.json (the bus options,
 * their facts and bus prices). A value that was not confirmed is `null`, never a guess.
 */

import { isJsonObject as isObject } from '../patterns/json-value.js';

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
}

/** One fact about a bus option on one dimension; `value` is null when it was not confirmed. */
export interface Fact {
  readonly value: string | null;
  readonly source: string;
  readonly checked: string;
  readonly note?: string;
  readonly secondarySource?: string;
}

/** The dimensions every bus option is described on, in the order the comparison doc uses. */
export const DIMENSIONS = [
  { key: 'deliverySemantics', label: 'Delivery semantics' },
  { key: 'ordering', label: 'Ordering' },
  { key: 'duplicates', label: 'Duplicates' },
  { key: 'retentionAndReplay', label: 'Retention and replay' },
  { key: 'fanOut', label: 'Fan-out' },
  { key: 'throughputQuotas', label: 'Throughput quotas' },
  { key: 'latency', label: 'Latency' },
  { key: 'maxPayload', label: 'Payload size' },
  { key: 'schemas', label: 'Schemas' },
  { key: 'operationsBurden', label: 'Operations burden' },
  { key: 'failureModes', label: 'Failure modes' },
  { key: 'securityModel', label: 'Security model' },
  { key: 'lockIn', label: 'Lock-in' },
] as const;

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

/** data/bus-comparison.json. */
export interface BusComparisonFile {
  readonly checked: string;
  readonly region: string;
  readonly currency: string;
  readonly note: string;
  readonly options: readonly BusOption[];
  readonly prices: readonly PriceEntry[];
  /** Ids of data/aws-pricing.json entries the comparison also uses. */
  readonly reuses: readonly string[];
}

/** data/aws-pricing.json. */
export interface AwsPricingFile {
  readonly region: string;
  readonly currency: string;
  readonly prices: readonly PriceEntry[];
}

/** Both data files, as the cost model and the doc renderer take them. */
export interface PriceData {
  readonly comparison: BusComparisonFile;
  readonly pricing: AwsPricingFile;
}

/** A data file that does not have the expected shape; the message names the file and the field. */
export class PriceDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PriceDataError';
  }
}

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
