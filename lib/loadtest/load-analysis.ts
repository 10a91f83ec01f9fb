import { percentile, sortedCopy } from './percentile.js';
import type { ScheduledStep } from './ramp-schedule.js';
import type { LoadSample } from './sample-recorder.js';

/** One ramp step, summarised from its seconds. */
export interface StepSummary {
  readonly index: number;
  readonly rate: number;
  readonly fromSecond: number;
  /** Exclusive. */
  readonly toSecond: number;
  readonly offeredPerSecond: number;
  readonly acceptedPerSecond: number;
  readonly landedPerSecond: number;
  readonly rejected: Readonly<Record<string, number>>;
  readonly depthStart: number | null;
  readonly depthEnd: number | null;
  readonly depthMax: number | null;
  readonly latencyP99MaxMs: number | null;
}

/** The first second a sign of backpressure showed. */
export interface BackpressureSignal {
  /** `spool`, `queue`, `lag`, `visible`, … (a backlog part), `429`, `503`, `in-flight-limit`, … (a refusal), or `latency`. */
  readonly signal: string;
  readonly second: number;
  readonly step: number | null;
  /** The offered rate at that second. */
  readonly rate: number;
  readonly detail: string;
}

/** Where the pipeline stopped keeping up, and how it showed. */
export interface LoadAnalysis {
  readonly steps: readonly StepSummary[];
  /** The first step that showed backpressure, and why; null when none did. */
  readonly backpressure: {
    readonly step: number;
    readonly rate: number;
    readonly reasons: readonly string[];
  } | null;
  /** The highest offered rate the pipeline kept up with (a whole step without backpressure); null if none. */
  readonly keptUpTo: number | null;
  /** The highest landed rate of a step. */
  readonly peakLandedPerSecond: number;
  /** The first appearance of each signal, in time order. */
  readonly signals: readonly BackpressureSignal[];
}

/** Thresholds of the analysis: what counts as falling behind. */
export const BACKPRESSURE_RULES = {
  /** Accepted below this share of offered (over a step). */
  acceptedShare: 0.95,
  /** Refusals above this share of offered (over a step). */
  rejectedShare: 0.005,
  /** The backlog grew by more than this share of the step's offered events… */
  depthGrowthShare: 0.1,
  /**
   * …to more than this many seconds of the offered rate (a batching window keeps about a second's events
   * waiting at any rate); a backlog part counts as a signal past the same mark.
   */
  depthSeconds: 2,
  /** Latency counts as a signal above this multiple of the first step's p99, and at least `latencyFloorMs`. */
  latencyFactor: 4,
  latencyFloorMs: 1000,
} as const;

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Summarises a run's samples by step and finds where backpressure appeared and how it spread. */
export function analyseLoad(samples: readonly LoadSample[], steps: readonly ScheduledStep[]): LoadAnalysis {
  const R = BACKPRESSURE_RULES;
  const summaries = steps.map((step): StepSummary => {
    const all = samples.filter((s) => s.phase === 'ramp' && s.step === step.index);
    // A step's first second is its transition (the previous rate's events still in flight): rates are
    // averaged over the seconds after it, when the step has more than one.
    const own = all.length > 1 ? all.slice(1) : all;
    const n = Math.max(1, own.length);
    const rejected: Record<string, number> = {};
    for (const s of all)
      for (const [k, v] of Object.entries(s.rejected)) rejected[k] = (rejected[k] ?? 0) + v;
    const depths = all.map((s) => s.depth).filter((d): d is number => d !== null);
    const p99s = all.map((s) => s.latencyP99Ms).filter((d): d is number => d !== null);
    return {
      index: step.index,
      rate: step.rate,
      fromSecond: all[0]?.second ?? Math.floor(step.startMs / 1000),
      toSecond: (all.at(-1)?.second ?? Math.floor(step.startMs / 1000)) + 1,
      offeredPerSecond: Math.round(sum(own.map((s) => s.offered)) / n),
      acceptedPerSecond: Math.round(sum(own.map((s) => s.accepted)) / n),
      landedPerSecond: Math.round(sum(own.map((s) => s.landed)) / n),
      rejected,
      depthStart: depths[0] ?? null,
      depthEnd: depths.at(-1) ?? null,
      depthMax: depths.length > 0 ? Math.max(...depths) : null,
      latencyP99MaxMs: p99s.length > 0 ? Math.max(...p99s) : null,
    };
  });

  let backpressure: LoadAnalysis['backpressure'] = null;
  for (const s of summaries) {
    const offered = s.offeredPerSecond * (s.toSecond - s.fromSecond);
    if (offered === 0) continue;
    const reasons: string[] = [];
    if (s.acceptedPerSecond < R.acceptedShare * s.offeredPerSecond)
      reasons.push(`accepted ${fmt(s.acceptedPerSecond)}/s of ${fmt(s.offeredPerSecond)}/s offered`);
    const refused = sum(Object.values(s.rejected));
    if (refused > R.rejectedShare * offered) reasons.push(`${fmt(refused)} refused (${codes(s.rejected)})`);
    if (
      s.depthStart !== null &&
      s.depthEnd !== null &&
      s.depthEnd > R.depthSeconds * s.rate &&
      s.depthEnd - s.depthStart > R.depthGrowthShare * offered
    )
      reasons.push(`backlog grew from ${fmt(s.depthStart)} to ${fmt(s.depthEnd)}`);
    if (reasons.length > 0) {
      backpressure = { step: s.index, rate: s.rate, reasons };
      break;
    }
  }
  const before = backpressure ? summaries.filter((s) => s.index < backpressure.step) : summaries;
  const keptUpTo = before.length > 0 ? Math.max(...before.map((s) => s.rate)) : null;

  return {
    steps: summaries,
    backpressure,
    keptUpTo,
    peakLandedPerSecond: Math.max(0, ...summaries.map((s) => s.landedPerSecond)),
    signals: firstSignals(samples),
  };
}

/** The first second each signal appeared in (refusals, each backlog part, latency), in time order. */
function firstSignals(samples: readonly LoadSample[]): BackpressureSignal[] {
  const R = BACKPRESSURE_RULES;
  const found = new Map<string, BackpressureSignal>();
  const firstStep = samples.filter((s) => s.step === 0 && s.latencyP99Ms !== null);
  // The lower median of the first step's p99s (nearest-rank p50).
  const baseline = percentile(sortedCopy(firstStep.map((s) => s.latencyP99Ms!)), 50) ?? 0;
  const latencyLimit = Math.max(R.latencyFloorMs, R.latencyFactor * baseline);
  let lastRate = 0;
  for (const s of samples) {
    if (s.phase === 'ramp') lastRate = s.scheduledRate;
    const rate = s.phase === 'ramp' ? s.scheduledRate : lastRate;
    const note = (signal: string, detail: string): void => {
      if (!found.has(signal)) found.set(signal, { signal, second: s.second, step: s.step, rate, detail });
    };
    for (const [code, count] of Object.entries(s.rejected))
      if (count > 0) note(code, `${fmt(count)} refused with ${code}`);
    for (const [part, value] of Object.entries(s.depthParts)) {
      // A spool is empty while the bus keeps up: anything in it is a signal.
      const limit = part.startsWith('spool') ? 0 : Math.max(100, R.depthSeconds * rate);
      if (value > limit) note(part, `${part} held ${fmt(value)}`);
    }
    if (s.latencyP99Ms !== null && s.latencyP99Ms > latencyLimit)
      note('latency', `p99 ${fmt(s.latencyP99Ms)} ms (first step: ${fmt(baseline)} ms)`);
  }
  return [...found.values()].sort((a, b) => a.second - b.second);
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function codes(rejected: Readonly<Record<string, number>>): string {
  return Object.entries(rejected)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}: ${fmt(v)}`)
    .join(', ');
}
