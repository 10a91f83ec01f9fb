import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../package-paths.js';
import { parsePriceData, PriceDataError, type PriceData } from './price-data.js';

/** The data files, relative to the repository root. */
export const PRICE_DATA_FILES = {
  comparison: 'data/bus-comparison.json',
  pricing: 'data/aws-pricing.json',
} as const;

function readJson(root: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(join(root, path), 'utf8');
  } catch (error) {
    throw new PriceDataError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PriceDataError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Reads and checks data/bus-comparison.json and data/aws-pricing.json (the only I/O of the cost model). */
export function loadPriceData(root: string = packageRoot()): PriceData {
  return parsePriceData(
    readJson(root, PRICE_DATA_FILES.comparison),
    readJson(root, PRICE_DATA_FILES.pricing),
  );
}
