import type {
  BooleanSetting,
  Default,
  DefaultContext,
  IntSetting,
  OneOfSetting,
  Section,
  SectionValue,
  Setting,
  StringSetting,
} from '../../core/deploy-config/setting.js';
import { closestName } from '../../core/util/closest-name.js';

/** Raw settings as cdk.json and `-c` give them. */
export type Raw = Readonly<Record<string, unknown>>;

/** Names the setting at fault and what is wrong with it; never returns. */
export type Fail = (setting: string, problem: string, options?: { cause?: unknown }) => never;

/** Reads a setting whose shape the declarations leave to a function (`custom`). */
export type CustomReader = (path: string, value: unknown) => unknown;

/** What a {@link SettingsReader} needs besides the raw values. */
export interface ReaderContext extends Omit<DefaultContext, 'section'> {
  readonly fail: Fail;
  /** Readers of the `custom` settings, by path (`warehouse.readers`). */
  readonly custom: Readonly<Record<string, CustomReader>>;
}

const joinPath = (prefix: string, key: string): string => (prefix === '' ? key : `${prefix}.${key}`);

const quoted = (values: readonly string[]): string => {
  const q = values.map((v) => `"${v}"`);
  return q.length > 2 ? `${q.slice(0, -1).join(', ')} or ${q.at(-1)}` : q.join(' or ');
};

/**
 * Checks raw values against the declarations of lib/core/deploy-config: every key known (an unknown one
 * names the closest known key), every value of its type and range, every default filled in.
 */
export class SettingsReader {
  constructor(private readonly context: ReaderContext) {}

  /** `raw[name]` as an object of settings; a missing section is empty. */
  object(path: string, value: unknown, shape = 'an object'): Raw {
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return this.context.fail(path, `must be ${shape}`);
    return value as Raw;
  }

  /** Fails for the first key of `raw` that `known` does not have, naming the closest known key. */
  rejectUnknown(prefix: string, raw: Raw, known: readonly string[]): void {
    const key = Object.keys(raw).find((k) => !known.includes(k));
    if (key === undefined) return;
    const closest = closestName(key, known);
    this.context.fail(
      joinPath(prefix, key),
      closest === undefined
        ? `is not a setting (${prefix === '' ? 'an environment' : prefix} has: ${known.join(', ')})`
        : `is not a setting; did you mean ${joinPath(prefix, closest)}?`,
    );
  }

  /** A whole section: unknown keys rejected, then every declared setting read in order. */
  section<S extends Section>(prefix: string, settings: S, raw: Raw): SectionValue<S> {
    this.rejectUnknown(prefix, raw, Object.keys(settings));
    return this.read(prefix, settings, raw);
  }

  /** The declared settings of `raw`, in declaration order (other keys are left to the caller). */
  read<S extends Section>(prefix: string, settings: S, raw: Raw): SectionValue<S> {
    const parsed: Record<string, unknown> = {};
    for (const [key, setting] of Object.entries(settings)) {
      const value = this.setting(joinPath(prefix, key), setting, raw[key], parsed);
      if (value !== undefined) parsed[key] = value;
    }
    return parsed as SectionValue<S>;
  }

  /** One setting: its default when left out, else the value checked against its declaration. */
  setting(
    path: string,
    setting: Setting,
    value: unknown,
    section: Readonly<Record<string, unknown>> = {},
  ): unknown {
    if (setting.kind === 'group') {
      if (value === undefined && setting.optional) return undefined;
      return this.section(path, setting.settings, this.object(path, value, setting.shape));
    }
    if (setting.kind === 'custom') {
      if (value === undefined && setting.default !== undefined)
        return this.fallback(setting.default, section);
      const read = this.context.custom[path];
      if (!read) return this.context.fail(path, 'has no reader (a bug in lib/infra/config)');
      return read(path, value);
    }
    const unset = value === undefined || (setting.kind === 'string' && value === '');
    if (value === undefined && setting.optional && setting.default === undefined) return undefined;
    if (unset) {
      if (setting.default !== undefined) return this.fallback(setting.default, section);
      return this.context.fail(path, `is not set: ${this.missing(setting)}`);
    }
    switch (setting.kind) {
      case 'int':
        return this.int(path, setting, value, section);
      case 'string':
        return this.string(path, setting, value);
      case 'boolean':
        return this.boolean(path, setting, value);
      case 'oneOf':
        return this.oneOf(path, setting, value);
    }
  }

  private fallback<T>(d: Default<T>, section: Readonly<Record<string, unknown>>): T {
    return typeof d === 'function' ? (d as (c: DefaultContext) => T)({ ...this.context, section }) : d;
  }

  private missing(setting: Exclude<Setting, { kind: 'group' | 'custom' }>): string {
    if (setting.missing !== undefined) return setting.missing;
    if (setting.kind === 'string') return setting.what;
    if (setting.kind === 'oneOf') return quoted(setting.values);
    return 'a value';
  }

  private int(path: string, s: IntSetting, v: unknown, section: Readonly<Record<string, unknown>>): number {
    const fail = this.context.fail;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n))
      return fail(path, `must be an integer, got ${JSON.stringify(v)}`);
    const floor = s.atLeast === undefined ? s.min : Math.max(s.min, Number(section[s.atLeast]));
    if (n < floor || n > s.max) return fail(path, `must be from ${floor} to ${s.max}, got ${n}`);
    if (s.step !== undefined && (n - s.min) % s.step !== 0)
      return fail(path, `must be a multiple of ${s.step}, got ${n}`);
    if (s.values !== undefined && !s.values.includes(n)) return fail(path, `must be ${s.allowed}, got ${n}`);
    return n;
  }

  private string(path: string, s: StringSetting, v: unknown): string {
    if (typeof v !== 'string' || !s.pattern.test(v))
      return this.context.fail(path, `must be ${s.what}, got ${JSON.stringify(v)}`);
    return v;
  }

  private boolean(path: string, _s: BooleanSetting, v: unknown): boolean {
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    return this.context.fail(path, `must be true or false, got ${JSON.stringify(v)}`);
  }

  private oneOf(path: string, s: OneOfSetting, v: unknown): string {
    if (typeof v !== 'string' || !s.values.includes(v))
      return this.context.fail(path, `must be ${quoted(s.values)}, got ${JSON.stringify(v)}`);
    return v;
  }
}
