import type { LoadRun } from '../../lib/loadtest/load-driver.js';
import { rampSteps, type ScheduledStep } from '../../lib/loadtest/ramp-schedule.js';
import type { LoadSample } from '../../lib/loadtest/sample-recorder.js';

/** Three 4-second steps (1,000, 2,000, 4,000 events/s) and a 3-second drain. */
export const STEPS: readonly ScheduledStep[] = rampSteps({
  startRate: 1000,
  step: { kind: 'multiply', by: 2 },
  stepSeconds: 4,
  maxRate: 4000,
  maxSeconds: 12,
});

/**
 * A run whose pipeline keeps up with the first two steps; in the third it lands only 1,000 events/s, so
 * the queue grows, then the ingest API answers 429; the backlog drains after the load stops.
 */
export function overloadedSamples(): LoadSample[] {
  const samples: LoadSample[] = [];
  let queue = 500;
  for (let second = 0; second < 15; second++) {
    const drain = second >= 12;
    const step = drain ? undefined : STEPS.find((s) => s.startMs <= second * 1000 && second * 1000 < s.endMs);
    const rate = step?.rate ?? 0;
    const refused = rate > 2500 && second >= 11 ? 800 : 0;
    const accepted = rate - refused;
    const landed = drain ? Math.min(queue, 2500) : rate > 2500 ? 1000 : rate;
    queue = drain ? queue - landed : rate > 2500 ? queue + accepted - landed : rate / 2;
    samples.push({
      second,
      phase: drain ? 'drain' : 'ramp',
      step: step?.index ?? null,
      scheduledRate: rate,
      offered: rate,
      accepted,
      rejected: refused > 0 ? { '429': refused } : {},
      unanswered: 0,
      landed,
      duplicates: 0,
      inFlight: 10,
      depth: queue,
      depthParts: { spool: 0, queue },
      latencyP50Ms: rate > 2500 ? 900 : 400,
      latencyP99Ms: rate > 2500 ? 1000 * (second - 7) : 800,
      rssMb: 300 + second,
    });
  }
  return samples;
}

/** The run around {@link overloadedSamples}, with nothing lost. */
export function overloadedRun(): LoadRun {
  const samples = overloadedSamples();
  const accepted = samples.reduce((a, s) => a + s.accepted, 0);
  const offered = samples.reduce((a, s) => a + s.offered, 0);
  return {
    startedAt: '2026-11-26T10:00:00.000Z',
    samples,
    totals: {
      offered,
      accepted,
      rejected: offered - accepted,
      unanswered: 0,
      landedDistinct: accepted,
      landedAccepted: accepted,
      lost: 0,
      duplicates: 0,
      duplicatedEvents: 0,
      landedUnacknowledged: 0,
      foreignLines: 0,
      idMismatches: 0,
    },
    latency: { p50Ms: 400, p99Ms: 5000, maxMs: 6000, count: accepted },
    offerSeconds: 12,
    drainSeconds: 3,
    drained: true,
    stoppedBy: 'schedule',
    landedObjects: 40,
    timeline: [{ atMs: 10_500, what: 'bus breaker closed → open' }],
  };
}
