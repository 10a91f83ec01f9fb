import { describe, expect, it } from 'vitest';
import { DEFAULT_ASSUMPTIONS } from '../../../lib/core/cost/assumptions.js';
import { computeCosts } from '../../../lib/core/cost/cost-model.js';
import { loadPriceData } from '../../../lib/core/cost/load-price-data.js';
import {
  CHART_RATES,
  cheapestAt,
  costChart,
  costCurves,
  crossoverRate,
  perConsumer,
  recommendationBlock,
} from '../../../lib/core/cost/recommendation.js';

const data = loadPriceData();
const total = (id: string, rate: number, consumers = 1): number | null =>
  computeCosts({ ratePerSecond: rate, eventBytes: 1024, retentionDays: 7 }, data, { consumers }).options.find(
    (o) => o.id === id,
  )?.totalUsd ?? null;

describe('recommendation: derived from the cost model', () => {
  it('charts every option at 1, 2, 5 … 100,000 events/s, a lower bound where a price is missing', () => {
    expect(CHART_RATES[0]).toBe(1);
    expect(CHART_RATES.at(-1)).toBe(100_000);
    expect(CHART_RATES).toHaveLength(16);
    const curves = costCurves(data, [10, 1000]);
    const sqs = curves.find((c) => c.id === 'sqs');
    expect(sqs?.points).toEqual([
      { rate: 10, usd: total('sqs', 10), lowerBound: false },
      { rate: 1000, usd: total('sqs', 1000), lowerBound: false },
    ]);
    expect(curves.find((c) => c.id === 'msk-express')?.points.every((p) => p.lowerBound)).toBe(true);
    const svg = costChart(data);
    for (const c of curves) expect(svg).toContain(`>${c.id}<`);
  });

  it('names the cheapest complete total at a rate and the runner-up', () => {
    const best = cheapestAt(data, 1000);
    const totals = computeCosts({ ratePerSecond: 1000, eventBytes: 1024, retentionDays: 7 }, data)
      .options.flatMap((o) => (o.totalUsd === null ? [] : [o.totalUsd]))
      .sort((a, b) => a - b);
    expect(best?.usd).toBe(totals[0]);
    expect(best?.next?.usd).toBe(totals[1]);
  });

  it('finds the rate from which an option costs less than SQS, where the totals cross', () => {
    const rate = crossoverRate(data, 'kafka-ec2');
    expect(rate).not.toBeNull();
    const r = rate ?? 0;
    // Two significant figures: just below the crossing Kafka costs more, just above it costs less.
    expect(total('kafka-ec2', r * 0.9) ?? 0).toBeGreaterThan(total('sqs', r * 0.9) ?? 0);
    expect(total('kafka-ec2', r * 1.1) ?? 0).toBeLessThan(total('sqs', r * 1.1) ?? 0);
    // Without operator time self-hosted Kafka crosses earlier.
    const noOps = {
      ...DEFAULT_ASSUMPTIONS,
      operations: {
        ...DEFAULT_ASSUMPTIONS.operations,
        hoursPerMonth: { 'self-hosted': 0, 'provisioned-cluster': 0, managed: 0 },
      },
    };
    expect(crossoverRate(data, 'kafka-ec2', 'sqs', noOps) ?? Infinity).toBeLessThan(r);
    // An option that never gets cheaper within the chart, and one missing a price, give null.
    expect(crossoverRate(data, 'eventbridge')).toBeNull();
    expect(crossoverRate(data, 'msk-express')).toBeNull();
  });

  it('prices one more consumer as the two-consumer month minus the one-consumer month', () => {
    expect(perConsumer(data, 'sqs', 1000)).toBeCloseTo(
      (total('sqs', 1000, 2) ?? 0) - (total('sqs', 1000) ?? 0),
      6,
    );
    expect(perConsumer(data, 'firehose', 1000)).toBeNull();
  });

  it('writes the block from those figures', () => {
    const block = recommendationBlock(data);
    const best = cheapestAt(data, 1);
    expect(block).toMatch(new RegExp(`\\| +1–[\\d,]+ \\| \`${best?.id ?? ''}\``));
    expect(block).toContain(`from ${(crossoverRate(data, 'kafka-ec2') ?? 0).toLocaleString('en-US')}/s`);
  });
});
