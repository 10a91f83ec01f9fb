/**
 * How one deploy setting is declared: its type, its default, the values it takes and what it controls,
 * written once. The CDK config parser (lib/infra/config.ts) checks settings against these declarations,
 * the README's settings table is generated from them, and the cost model reads the defaults it assumes.
 * Plain data: no CDK, no SDK.
 */
import { EltError } from '../util/errors.js';
import type { DeployTarget } from './targets.js';

/** What a default that depends on other settings may read. */
export interface DefaultContext {
  readonly envName: string;
  readonly target: DeployTarget;
  readonly region: string;
  /** The settings of the same section parsed so far (declaration order). */
  readonly section: Readonly<Record<string, unknown>>;
}

/** A default: a value, or a value computed from the environment and the settings declared before it. */
export type Default<T> = T | ((context: DefaultContext) => T);

interface SettingBase<T> {
  /** What the setting controls, in the words of the README table. */
  readonly doc: string;
  /** The value when the setting is left out; absent, the setting must be given (unless `optional`). */
  readonly default?: Default<T>;
  /** The default as the README prints it, when it is computed. */
  readonly defaultText?: string;
  /** Left out, the setting is absent from the config (no default, not required). */
  readonly optional?: true;
  /** What to say when a required setting is missing (`<setting> is not set: <missing>`). */
  readonly missing?: string;
}

/** An integer in [min, max] (numeric strings accepted, as `-c key=value` gives strings). */
export interface IntSetting extends SettingBase<number> {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
  /** A setting declared before it in the same section whose value raises `min` (`maximum` ≥ `minimum`). */
  readonly atLeast?: string;
  /** Only min, min + step, …: "must be a multiple of step". */
  readonly step?: number;
  /** The only values taken, when the range is not enough (checked after the range). */
  readonly values?: readonly number[];
  /** The allowed values in words (`must be <allowed>, got …`), when the range does not say it all. */
  readonly allowed?: string;
}

/** A string matching `pattern`; `what` describes it (`must be <what>, got …`). An empty string is unset. */
export interface StringSetting extends SettingBase<string> {
  readonly kind: 'string';
  readonly pattern: RegExp;
  readonly what: string;
}

/** true or false (or the strings "true" and "false"). */
export interface BooleanSetting extends SettingBase<boolean> {
  readonly kind: 'boolean';
}

/** One of a few strings. */
export interface OneOfSetting<T extends string = string> extends SettingBase<T> {
  readonly kind: 'oneOf';
  readonly values: readonly T[];
}

/** A value with a shape of its own (a list, an object): the parser has a function for it. */
export interface CustomSetting<T = unknown> extends SettingBase<T> {
  readonly kind: 'custom';
  /** The accepted values in words, for the README. */
  readonly allowed: string;
  /** Never set: carries the parsed type. */
  readonly type?: T;
}

/** A nested object of settings (`kafka.provisionedPollers`). */
export interface GroupSetting<S extends Section = Section> {
  readonly kind: 'group';
  readonly doc: string;
  readonly settings: S;
  /** What to say when the value is not an object (`must be <shape>`). */
  readonly shape: string;
  /** Left out, the group is absent. */
  readonly optional?: true;
  readonly defaultText?: string;
}

/** Any declared setting. */
export type Setting =
  IntSetting | StringSetting | BooleanSetting | OneOfSetting | CustomSetting | GroupSetting;

/** The settings of one section, by key, in the order they are parsed and listed. */
export type Section = Readonly<Record<string, Setting>>;

/** The type a setting parses to. */
export type SettingValue<S> = S extends IntSetting
  ? number
  : S extends StringSetting
    ? string
    : S extends BooleanSetting
      ? boolean
      : S extends OneOfSetting<infer T>
        ? T
        : S extends CustomSetting<infer T>
          ? T
          : S extends GroupSetting<infer G>
            ? SectionValue<G>
            : never;

type OptionalKeys<S> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];

/** The parsed settings of a section: a key per setting, optional where the setting is. */
export type SectionValue<S> = {
  readonly [K in Exclude<keyof S, OptionalKeys<S>>]: SettingValue<S[K]>;
} & { readonly [K in OptionalKeys<S>]?: SettingValue<S[K]> };

/** Declares an integer setting. */
export const int = (s: Omit<IntSetting, 'kind'>): IntSetting => ({ kind: 'int', ...s });

/** Declares a string setting. */
export const str = (s: Omit<StringSetting, 'kind'>): StringSetting => ({ kind: 'string', ...s });

/** Declares a boolean setting. */
export const bool = (s: Omit<BooleanSetting, 'kind'>): BooleanSetting => ({ kind: 'boolean', ...s });

/** Declares a setting that takes one of `values`. */
export const oneOf = <const T extends string>(s: Omit<OneOfSetting<T>, 'kind'>): OneOfSetting<T> => ({
  kind: 'oneOf',
  ...s,
});

/** Declares a setting the parser reads with a function of its own; `T` is what it parses to. */
export const custom = <T>(s: Omit<CustomSetting<T>, 'kind' | 'type'>): CustomSetting<T> => ({
  kind: 'custom',
  ...s,
});

/** Declares a nested object of settings. */
export const group = <const S extends Section>(s: Omit<GroupSetting<S>, 'kind'>): GroupSetting<S> => ({
  kind: 'group',
  ...s,
});

/** Marks a setting optional in the type: left out, it is absent. */
export const optional = <S extends Setting>(s: S): S & { readonly optional: true } => ({
  ...s,
  optional: true,
});

/** A declaration that cannot give what is asked of it (a bug in the declarations, not in a config). */
export class SettingDeclarationError extends EltError {}

/** The default of a setting that has a literal one (the cost model's assumptions read these). */
export function literalDefault<T>(setting: { readonly default?: Default<T>; readonly doc: string }): T {
  const d = setting.default;
  if (d === undefined || typeof d === 'function')
    throw new SettingDeclarationError(`the setting "${setting.doc}" has no literal default`);
  return d as T;
}
