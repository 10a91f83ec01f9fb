import { cell, markdownTable } from '../cost/markdown-table.js';
import type { Section, Setting } from './setting.js';
import { DEPLOY_SECTIONS, TOP_SETTINGS } from './settings.js';

/** One environment block as the parser resolves it (every setting filled in), for the default column. */
export interface ResolvedEnvironment {
  readonly name: string;
  /** The parsed config: sections by name, settings by key. */
  readonly config: Readonly<Record<string, unknown>>;
}

/** Every declared setting with its dotted path, in the README's order (groups before their settings). */
export function settingRows(): { path: string; setting: Setting }[] {
  const rows: { path: string; setting: Setting }[] = [];
  const walk = (prefix: string, section: Section): void => {
    for (const [key, setting] of Object.entries(section)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      rows.push({ path, setting });
      if (setting.kind === 'group') walk(path, setting.settings);
    }
  };
  walk('', TOP_SETTINGS);
  for (const [name, section] of Object.entries(DEPLOY_SECTIONS)) walk(name, section);
  return rows;
}

const code = (text: string): string => `\`${text}\``;

/** A value as the table shows it: numbers grouped, strings and lists as code. */
function shown(value: unknown): string {
  if (value === undefined) return 'none';
  if (typeof value === 'number') return value.toLocaleString('en-US');
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return code(value);
  return code(JSON.stringify(value));
}

function valueAt(config: Readonly<Record<string, unknown>>, path: string): unknown {
  let value: unknown = config;
  for (const key of path.split('.')) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

function defaultCell(
  path: string,
  s: Setting,
  plain: ResolvedEnvironment,
  envs: readonly ResolvedEnvironment[],
): string {
  const literal = 'default' in s && typeof s.default !== 'function' ? s.default : undefined;
  const base =
    s.defaultText ?? (literal !== undefined ? shown(literal) : s.optional ? 'none' : 'must be set');
  const fallback = valueAt(plain.config, path);
  const values = envs.map((e) => valueAt(e.config, path));
  if (s.kind === 'group' || values.every((v) => JSON.stringify(v) === JSON.stringify(fallback))) return base;
  // A computed default is shown for every environment; a literal one only where a block changes it.
  const computed = 'default' in s && typeof s.default === 'function';
  const each = values.map((v) =>
    computed || JSON.stringify(v) !== JSON.stringify(fallback) ? shown(v) : '',
  );
  return `${base} (${each.join(' · ').trim()})`;
}

function allowedCell(s: Setting): string {
  switch (s.kind) {
    case 'int':
      return s.allowed ?? `${s.min.toLocaleString('en-US')}–${s.max.toLocaleString('en-US')}`;
    case 'string':
      return s.what;
    case 'boolean':
      return 'true, false';
    case 'oneOf':
      return s.values.map(code).join(', ');
    case 'custom':
      return s.allowed;
    case 'group':
      return s.shape;
  }
}

/**
 * The README's settings table: every declared setting, its default (and the values the `envs` blocks of
 * cdk.json give it where they differ from `plain`, the block that sets nothing), what it takes and what it
 * controls.
 */
export function renderSettingsTable(
  plain: ResolvedEnvironment,
  envs: readonly ResolvedEnvironment[],
): string {
  return markdownTable(
    [
      'setting',
      `default (${envs.map((e) => e.name).join(' · ')} in cdk.json)`,
      'allowed',
      'what it controls',
    ],
    settingRows().map(({ path, setting }) =>
      [code(path), defaultCell(path, setting, plain, envs), allowedCell(setting), setting.doc].map(cell),
    ),
  );
}
