import { EltError } from '../core/util/errors.js';

/** How the offered rate grows from one step to the next. */
export type RampStep =
  { readonly kind: 'multiply'; readonly by: number } | { readonly kind: 'add'; readonly by: number };

/** The ramp's settings: rates in events per second. */
export interface RampOptions {
  readonly startRate: number;
  readonly step: RampStep;
  readonly stepSeconds: number;
  /** The last step offers this rate; a step that would go past it is cut to it. */
  readonly maxRate: number;
  /** The ramp stops offering after this long, even in the middle of a step. */
  readonly maxSeconds: number;
}

/** One step of the ramp: a constant offered rate over [startMs, endMs) from the start of the run. */
export interface ScheduledStep {
  readonly index: number;
  readonly rate: number;
  readonly startMs: number;
  readonly endMs: number;
}

/** A step option that cannot make a ramp. */
export class RampOptionsError extends EltError {}

/** Parses `--step`: `x2` or `2x` (multiply), `+500` (add). */
export function parseRampStep(value: string): RampStep {
  const v = value.trim().replace(/_/g, '');
  const multiply = /^(?:x(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)x)$/i.exec(v);
  if (multiply) {
    const by = Number(multiply[1] ?? multiply[2]);
    if (by > 1) return { kind: 'multiply', by };
  }
  const add = /^\+(\d+(?:\.\d+)?)$/.exec(v);
  if (add && Number(add[1]) > 0) return { kind: 'add', by: Number(add[1]) };
  throw new RampOptionsError(
    `--step must be a multiplier over 1 (x2, 1.5x) or an increment over 0 (+500), got ${JSON.stringify(value)}`,
  );
}

/** The step as written on the command line. */
export function describeRampStep(step: RampStep): string {
  return step.kind === 'multiply' ? `x${step.by}` : `+${step.by}`;
}

/**
 * The ramp's steps: `startRate`, then each step's rate multiplied (or increased) until `maxRate`, which the
 * last step offers; each lasts `stepSeconds`, and steps past `maxSeconds` are cut.
 */
export function rampSteps(options: RampOptions): ScheduledStep[] {
  const { startRate, step, stepSeconds, maxRate, maxSeconds } = options;
  if (!(startRate > 0)) throw new RampOptionsError('--start-rate must be over 0');
  if (!(stepSeconds > 0)) throw new RampOptionsError('--step-seconds must be over 0');
  if (!(maxSeconds > 0)) throw new RampOptionsError('--max-seconds must be over 0');
  if (maxRate < startRate)
    throw new RampOptionsError(`--max-rate (${maxRate}) must be at least --start-rate (${startRate})`);
  const endOfRun = maxSeconds * 1000;
  const steps: ScheduledStep[] = [];
  let rate = startRate;
  for (let index = 0; ; index++) {
    const startMs = index * stepSeconds * 1000;
    if (startMs >= endOfRun) break;
    steps.push({ index, rate, startMs, endMs: Math.min(endOfRun, startMs + stepSeconds * 1000) });
    if (rate >= maxRate) break;
    const next = step.kind === 'multiply' ? rate * step.by : rate + step.by;
    rate = Math.min(maxRate, Math.round(next));
  }
  return steps;
}

/** The step in force at `ms` from the start, or undefined after the last one. */
export function stepAt(steps: readonly ScheduledStep[], ms: number): ScheduledStep | undefined {
  return steps.find((s) => ms >= s.startMs && ms < s.endMs);
}

/**
 * Events the schedule has called for by `ms` from the start: the integral of the rate, rounded down. The
 * driver sends the difference to what it has sent, so a late timer catches up instead of offering less
 * (an open-loop load: the offered rate does not slow down because the pipeline does).
 */
export function offeredBy(steps: readonly ScheduledStep[], ms: number): number {
  let events = 0;
  for (const s of steps) {
    if (ms <= s.startMs) break;
    events += (s.rate * (Math.min(ms, s.endMs) - s.startMs)) / 1000;
  }
  return Math.floor(events + 1e-9);
}
