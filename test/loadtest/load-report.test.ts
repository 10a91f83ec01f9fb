import { describe, expect, it } from 'vitest';
import { analyseLoad } from '../../lib/loadtest/load-analysis.js';
import { buildLoadReport, renderLoadMarkdown } from '../../lib/loadtest/load-report.js';
import { overloadedRun, overloadedSamples, STEPS } from './synthetic-run.js';

const settings = {
  startRate: 1000,
  step: 'x2',
  stepSeconds: 4,
  maxRate: 4000,
  maxSeconds: 12,
  maxEvents: 1_000_000,
  maxInFlight: 8192,
  drainSeconds: 60,
  entriesPerCall: 1,
};

function report(run = overloadedRun()) {
  return buildLoadReport({
    transport: 'local',
    target: 'elt serve (in-process)',
    command: 'elt loadtest --transport local',
    machine: { cores: 2, cpu: 'Test CPU', memoryGiB: 8, node: 'v20.0.0' },
    settings,
    facts: {},
    steps: STEPS,
    run,
  });
}

describe('the load analysis', () => {
  it('finds backpressure at the first step whose backlog grows past two seconds of its rate, and the rate kept up with before it', () => {
    const a = analyseLoad(overloadedSamples(), STEPS);
    expect(a.backpressure).toMatchObject({ step: 2, rate: 4000 });
    expect(a.backpressure!.reasons.join('; ')).toMatch(/accepted 3,\d+\/s of 4,000\/s offered/);
    expect(a.backpressure!.reasons.join('; ')).toContain('800 refused (429: 800)');
    expect(a.backpressure!.reasons.join('; ')).toContain('backlog grew from 4,000 to 12,200');
    expect(a.keptUpTo).toBe(2000);
    expect(a.peakLandedPerSecond).toBe(2000);
  });

  it('orders the signals by the second they first crossed their threshold: queue, then 429, then latency', () => {
    const signals = analyseLoad(overloadedSamples(), STEPS).signals.map((s) => [s.signal, s.second, s.rate]);
    expect(signals).toEqual([
      ['queue', 10, 4000],
      ['429', 11, 4000],
      ['latency', 11, 4000],
    ]);
  });

  it('averages a step over its seconds after the first (the transition)', () => {
    const samples = overloadedSamples();
    samples[0] = { ...samples[0]!, accepted: 0 };
    const [first] = analyseLoad(samples, STEPS).steps;
    expect(first).toMatchObject({
      offeredPerSecond: 1000,
      acceptedPerSecond: 1000,
      fromSecond: 0,
      toSecond: 4,
    });
  });

  it('reports no backpressure when every step was kept up with', () => {
    const calm = overloadedSamples().map((s) => ({
      ...s,
      accepted: s.offered,
      rejected: {},
      depth: 100,
      depthParts: { spool: 0, queue: 100 },
      latencyP99Ms: 800,
    }));
    const a = analyseLoad(calm, STEPS);
    expect(a.backpressure).toBeNull();
    expect(a.keptUpTo).toBe(4000);
    expect(a.signals).toEqual([]);
  });

  it('treats anything in the spool as a signal', () => {
    const samples = overloadedSamples();
    samples[5] = { ...samples[5]!, depthParts: { spool: 1, queue: 0 } };
    expect(analyseLoad(samples, STEPS).signals[0]).toMatchObject({ signal: 'spool', second: 5, rate: 2000 });
  });
});

describe('the markdown report', () => {
  it('says where backpressure appeared, what it kept up with, and how it propagated', () => {
    const md = renderLoadMarkdown(report(), 'local.svg');
    expect(md).toContain('- **At 4,000 events/s offered** (step 3 of 3)');
    expect(md).toContain('Below that, at 2,000 events/s, it kept up');
    expect(md).toMatch(/1\. 10 s, at 4,000 events\/s offered: the landing queue — queue held 10,000/);
    expect(md).toMatch(/1\. 11 s, at 4,000 events\/s offered: HTTP 429/);
    expect(md).toContain('- 10.5 s: bus breaker closed → open');
    expect(md).toContain('![offered, accepted and landed events per second');
    expect(md).toContain('(local.svg)');
  });

  it('ends with the loss check: lost 0 and no duplicates, ticked', () => {
    const md = renderLoadMarkdown(report(), 'local.svg');
    expect(md).toContain('| **lost** (accepted, never landed) | **0** ✓ |');
    expect(md).toContain('| **landed more than once** (extra copies) | **0** ✓ |');
    expect(md).toContain('the pipeline drained in 3 s');
  });

  it('flags lost and duplicated events, and a drain that did not finish', () => {
    const run = overloadedRun();
    const bad = {
      ...run,
      drained: false,
      totals: { ...run.totals, lost: 3, landedAccepted: run.totals.accepted - 3, duplicates: 2 },
    };
    const r = report(bad);
    expect(r.summary.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'every accepted event landed',
      'no event landed twice',
      'the pipeline drained before the deadline',
    ]);
    const md = renderLoadMarkdown(r, 'local.svg');
    expect(md).toContain('| **lost** (accepted, never landed) | **3** ✗ |');
    expect(md).toContain('| **landed more than once** (extra copies) | **2** ✗ |');
    expect(md).toContain('had **not** drained after 3 s');
  });

  it('says so when no step showed backpressure', () => {
    const run = overloadedRun();
    const calm = {
      ...run,
      samples: run.samples.map((s) => ({
        ...s,
        accepted: s.offered,
        rejected: {},
        depth: 10,
        depthParts: { queue: 10 },
        latencyP99Ms: 500,
      })),
    };
    const md = renderLoadMarkdown(report(calm), 'local.svg');
    expect(md).toContain('**None within the ramp**');
    expect(md).toContain('No backlog, refusal or latency signal crossed its threshold.');
  });
});
