import { describe, expect, it } from 'vitest';
import {
  offeredBy,
  parseRampStep,
  rampSteps,
  RampOptionsError,
  stepAt,
} from '../../lib/loadtest/ramp-schedule.js';

const base = { startRate: 500, stepSeconds: 10, maxRate: 4000, maxSeconds: 600 };

describe('the ramp schedule', () => {
  it('multiplies the rate each step up to the maximum, which the last step offers', () => {
    const steps = rampSteps({ ...base, step: { kind: 'multiply', by: 2 }, maxRate: 3000 });
    expect(steps.map((s) => s.rate)).toEqual([500, 1000, 2000, 3000]);
    expect(steps.map((s) => [s.startMs, s.endMs])).toEqual([
      [0, 10_000],
      [10_000, 20_000],
      [20_000, 30_000],
      [30_000, 40_000],
    ]);
  });

  it('adds an increment each step', () => {
    const steps = rampSteps({ ...base, step: { kind: 'add', by: 1000 } });
    expect(steps.map((s) => s.rate)).toEqual([500, 1500, 2500, 3500, 4000]);
  });

  it('cuts the ramp at --max-seconds, in the middle of a step if need be', () => {
    const steps = rampSteps({ ...base, step: { kind: 'multiply', by: 2 }, maxSeconds: 25 });
    expect(steps.map((s) => s.rate)).toEqual([500, 1000, 2000]);
    expect(steps.at(-1)!.endMs).toBe(25_000);
  });

  it('calls for the integral of the rate: 500/s for 10 s, then 1,000/s', () => {
    const steps = rampSteps({ ...base, step: { kind: 'multiply', by: 2 } });
    expect(offeredBy(steps, 0)).toBe(0);
    expect(offeredBy(steps, 1_000)).toBe(500);
    expect(offeredBy(steps, 10_000)).toBe(5_000);
    expect(offeredBy(steps, 12_500)).toBe(7_500);
    expect(offeredBy(steps, 10_000_000)).toBe(5_000 + 10_000 + 20_000 + 40_000);
  });

  it('names the step in force, and none after the last', () => {
    const steps = rampSteps({ ...base, step: { kind: 'multiply', by: 2 }, maxRate: 1000 });
    expect(stepAt(steps, 9_999)?.rate).toBe(500);
    expect(stepAt(steps, 10_000)?.rate).toBe(1000);
    expect(stepAt(steps, 20_000)).toBeUndefined();
  });

  it('parses --step as a multiplier (x2, 1.5x) or an increment (+500)', () => {
    expect(parseRampStep('x2')).toEqual({ kind: 'multiply', by: 2 });
    expect(parseRampStep('1.5x')).toEqual({ kind: 'multiply', by: 1.5 });
    expect(parseRampStep('+1_000')).toEqual({ kind: 'add', by: 1000 });
  });

  describe('failures', () => {
    it.each(['x1', '0.5x', '+0', '500', 'fast', ''])('refuses --step %j', (value) => {
      expect(() => parseRampStep(value)).toThrow(RampOptionsError);
    });

    it('refuses a maximum rate below the start rate, naming both', () => {
      expect(() =>
        rampSteps({ ...base, step: { kind: 'multiply', by: 2 }, startRate: 1000, maxRate: 10 }),
      ).toThrow('--max-rate (10) must be at least --start-rate (1000)');
    });
  });
});
