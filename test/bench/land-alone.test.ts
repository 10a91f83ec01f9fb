import { describe, expect, it } from 'vitest';
import { envelopeBodies, measureLandAlone, runLandingBench } from '../../bench/land-alone.js';
import { createEventValidator } from '../../lib/core/events/validator.js';

describe('bench: landing alone', () => {
  it('feeds the landing bus envelopes, with the inputs the bus would refuse kept as raw lines', () => {
    const bodies = envelopeBodies(2000);
    expect(bodies).toHaveLength(2000);
    const validator = createEventValidator();
    const valid = bodies.filter((b) => validator.validateText(b).ok).length;
    // The workload is mostly valid events, with a few invalid inputs for the landing to quarantine.
    expect(valid / bodies.length).toBeGreaterThan(0.9);
    expect(valid).toBeLessThan(bodies.length);
    // Deterministic: the same workload gives the same bodies (ids from the position).
    expect(envelopeBodies(2000)).toEqual(bodies);
  });

  it('lands every valid record of the Kafka and SQS shapes, and times the ceiling over the same records', async () => {
    const validator = createEventValidator();
    const valid = envelopeBodies(3000).filter((b) => validator.validateText(b).ok).length;
    for (const kind of ['land-kafka', 'land-sqs'] as const) {
      const m = await measureLandAlone(kind, 3000);
      expect(m.records, kind).toBe(3000);
      expect(m.landedEvents, kind).toBe(valid);
      expect(m.objects ?? 0, kind).toBeGreaterThan(0);
      expect(m.recordsPerSecond, kind).toBeCloseTo(3000 / m.seconds, 6);
    }
    const ceiling = await measureLandAlone('land-ceiling', 3000);
    expect(ceiling.records).toBe(3000);
    expect(ceiling.landedEvents).toBeUndefined();
  });

  it('reports medians, the ratio to the ceiling and the 75% targets', async () => {
    const rates = { 'land-ceiling': [100, 120, 110], 'land-kafka': [80, 90, 85], 'land-sqs': [60, 70, 65] };
    const calls: string[] = [];
    const summary = await runLandingBench(
      1000,
      3,
      async (kind) => {
        calls.push(kind);
        const rate = rates[kind][calls.filter((k) => k === kind).length - 1] ?? 0;
        return { records: 1000, seconds: 1000 / rate, recordsPerSecond: rate, cpuSeconds: 1 };
      },
      () => undefined,
    );
    // Alternating order run to run.
    expect(calls.slice(0, 3)).toEqual(['land-ceiling', 'land-kafka', 'land-sqs']);
    expect(calls.slice(3, 6)).toEqual(['land-sqs', 'land-kafka', 'land-ceiling']);
    expect(summary.ceiling.recordsPerSecond).toBe(110);
    expect(summary.kafka.ratio).toBeCloseTo(85 / 110, 3);
    expect(summary.targets.map((t) => t.met)).toEqual([true, false]);
  });
});
