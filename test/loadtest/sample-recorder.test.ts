import { describe, expect, it } from 'vitest';
import { percentile, sortedCopy } from '../../lib/loadtest/percentile.js';
import { rampSteps } from '../../lib/loadtest/ramp-schedule.js';
import { SampleRecorder } from '../../lib/loadtest/sample-recorder.js';

describe('percentile', () => {
  it('is the nearest-rank value: p50 and p99 of 1..100 are 50 and 99', () => {
    const values = sortedCopy(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
  });

  it('sorts numerically, not as text', () => {
    expect([...sortedCopy([10, 9, 100])]).toEqual([9, 10, 100]);
  });

  it('is the one value of one, and undefined for none', () => {
    expect(percentile(sortedCopy([42]), 99)).toBe(42);
    expect(percentile(sortedCopy([]), 50)).toBeUndefined();
  });
});

describe('the per-second samples', () => {
  const steps = rampSteps({
    startRate: 100,
    step: { kind: 'multiply', by: 2 },
    stepSeconds: 2,
    maxRate: 200,
    maxSeconds: 4,
  });

  it('counts each event in the second it happened and names the step and its rate', () => {
    const r = new SampleRecorder(1_000_000);
    r.offered(1_000_100, 3);
    r.accepted(1_000_900, 2);
    r.rejected(1_001_200, '429', 1);
    r.landed(1_002_500, 700);
    const samples = r.samples(steps, 1_004_000);
    expect(samples).toHaveLength(4);
    expect(samples.map((s) => [s.offered, s.accepted, s.landed])).toEqual([
      [3, 2, 0],
      [0, 0, 0],
      [0, 0, 1],
      [0, 0, 0],
    ]);
    expect(samples[1]!.rejected).toEqual({ '429': 1 });
    expect(samples.map((s) => [s.step, s.scheduledRate])).toEqual([
      [0, 100],
      [0, 100],
      [1, 200],
      [1, 200],
    ]);
  });

  it('gives each second the p50 and p99 of the latencies of the events landed in it', () => {
    const r = new SampleRecorder(0);
    for (let ms = 1; ms <= 100; ms++) r.landed(500, ms * 10);
    r.landed(1500, 5);
    const [first, second] = r.samples(steps, 2000);
    expect([first!.latencyP50Ms, first!.latencyP99Ms]).toEqual([500, 990]);
    expect([second!.latencyP50Ms, second!.latencyP99Ms]).toEqual([5, 5]);
    expect(r.latencySummary()).toMatchObject({ p50Ms: 500, maxMs: 1000, count: 101 });
  });

  it('marks the seconds after offering stopped as the drain, with no step and no scheduled rate', () => {
    const r = new SampleRecorder(0);
    r.startDrain(2000);
    const samples = r.samples(steps, 3000);
    expect(samples.map((s) => s.phase)).toEqual(['ramp', 'ramp', 'drain']);
    expect(samples[2]).toMatchObject({ step: null, scheduledRate: 0 });
  });

  it('keeps the last gauge reading of a second: backlog, its parts, in flight and RSS', () => {
    const r = new SampleRecorder(0);
    r.gauge(200, { inFlight: 1, depth: { total: 5, parts: { queue: 5 } }, rssMb: 100.4 });
    r.gauge(999, { inFlight: 2, depth: { total: 7, parts: { spool: 3, queue: 4 } }, rssMb: 120.6 });
    const [s] = r.samples(steps, 1000);
    expect(s).toMatchObject({ inFlight: 2, depth: 7, depthParts: { spool: 3, queue: 4 }, rssMb: 121 });
  });

  it('leaves the gauges null in a second where none was read', () => {
    const [s] = new SampleRecorder(0).samples(steps, 1000);
    expect(s).toMatchObject({ depth: null, rssMb: null, latencyP99Ms: null, depthParts: {} });
  });
});
