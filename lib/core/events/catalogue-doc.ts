import { EVENT_CATALOGUE, type EventType } from './catalogue.js';
import { RULES, type RuleDefinition } from '../rules.js';

interface SchemaProperty {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  description?: string;
}

function describeProperty(p: SchemaProperty): string {
  const parts: string[] = [];
  if (p.enum) parts.push(`one of ${p.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ')}`);
  else if (p.type) parts.push(Array.isArray(p.type) ? p.type.join(' or ') : p.type);
  if (p.format) parts.push(`format \`${p.format}\``);
  if (p.pattern) parts.push(`pattern \`${p.pattern}\``);
  if (p.minimum !== undefined) parts.push(`≥ ${p.minimum}`);
  if (p.maximum !== undefined) parts.push(`≤ ${p.maximum}`);
  if (p.minLength !== undefined || p.maxLength !== undefined)
    parts.push(`length ${p.minLength ?? 0}–${p.maxLength ?? '∞'}`);
  return parts.join(', ') + (p.description ? ` — ${p.description}` : '');
}

function typeSection(t: EventType): string[] {
  const schema = t.schema as { properties: Record<string, SchemaProperty>; required: string[] };
  const rows = Object.entries(schema.properties).map(
    ([name, p]) =>
      `| \`${name}\` | ${schema.required.includes(name) ? 'yes' : 'no'} | ${describeProperty(p).replace(/\|/g, '\\|')} |`,
  );
  return [
    `## ${t.detailType} (v${t.version})`,
    '',
    `${t.description} Source \`${t.source}\`, schema \`${String(t.schema.$id)}\`.`,
    '',
    '| field | required | rule |',
    '| --- | --- | --- |',
    ...rows,
    '',
    'Example `detail`:',
    '',
    '```json',
    JSON.stringify(t.example, null, 2),
    '```',
    '',
  ];
}

function ruleRow(r: RuleDefinition): string {
  return `| \`${r.name}\` | \`${JSON.stringify(r.pattern)}\` | queue \`${r.target.queue}\` | ${r.description} |`;
}

/** docs/events.md, generated from the catalogue and the rules (`npm run docs`; a test fails on drift). */
export function renderCatalogueDoc(
  catalogue: readonly EventType[] = EVENT_CATALOGUE,
  rules: readonly RuleDefinition[] = RULES,
): string {
  return [
    '# Event catalogue',
    '',
    '<!-- Generated from lib/core/events/catalogue.ts and lib/core/rules.ts by `npm run docs`. Do not edit. -->',
    '',
    'Every event is an EventBridge envelope (`version, id, detail-type, source, account, time, region, resources,',
    'detail`). The bus assigns `id`; the producer sets `detail.eventId` (a UUID), the idempotency key that',
    'deduplicates everywhere downstream, and `detail.userId`. A detail without `schemaVersion` is version 1.',
    'Fields beyond those listed are allowed and kept in the raw table; a detail nested deeper than 32 levels is',
    'quarantined.',
    '',
    '| source | detail-type | version | description |',
    '| --- | --- | --- | --- |',
    ...catalogue.map((t) => `| \`${t.source}\` | \`${t.detailType}\` | ${t.version} | ${t.description} |`),
    '',
    ...catalogue.flatMap(typeSection),
    '## Rules',
    '',
    '| rule | event pattern | target | why |',
    '| --- | --- | --- | --- |',
    ...rules.map(ruleRow),
    '',
  ].join('\n');
}
