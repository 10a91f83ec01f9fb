import { EltError } from './errors.js';

/** A function's environment, or any other string map that settings are read from. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A setting that is missing or invalid; the message names the variable and what it must be. */
export class SettingError extends EltError {
  constructor(
    /** The environment variable (or configuration path) at fault. */
    readonly setting: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${setting} ${problem}`, options);
  }
}

/** The value of `name`, or undefined when it is unset or empty. */
export function optionalSetting(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The value of `name`; a {@link SettingError} saying `what` it should hold when it is unset or empty. */
export function requiredSetting(env: Environment, name: string, what: string): string {
  const value = optionalSetting(env, name);
  if (value === undefined) throw new SettingError(name, `is not set: ${what}`);
  return value;
}

/** An integer in [min, max]. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

/** `text` as an integer in the range; a {@link SettingError} naming `name` otherwise. */
export function parseIntegerSetting(name: string, text: string, range: IntegerRange): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < range.min || n > range.max) {
    throw new SettingError(
      name,
      `must be an integer from ${range.min} to ${range.max}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/** The integer setting `name`, or undefined when unset. */
export function optionalIntegerSetting(
  env: Environment,
  name: string,
  range: IntegerRange,
): number | undefined {
  const value = optionalSetting(env, name);
  return value === undefined ? undefined : parseIntegerSetting(name, value, range);
}

/** The integer setting `name`, or `fallback` when unset. */
export function integerSetting(
  env: Environment,
  name: string,
  range: IntegerRange,
  fallback: number,
): number {
  return optionalIntegerSetting(env, name, range) ?? fallback;
}
