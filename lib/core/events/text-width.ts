import { EVENT_CATALOGUE, type JsonSchema } from './catalogue.js';

/**
 * The widest text (in UTF-8 bytes) an envelope field can hold: the pipeline's raw_events columns, which
 * sql/warehouse/setup.sql declares with the same widths.
 */
const ENVELOPE_WIDTHS: Readonly<Record<string, number>> = {
  id: 64,
  version: 16,
  'detail-type': 256,
  source: 256,
  account: 32,
  region: 32,
  time: 64,
};

// `^<ASCII literal>[<ASCII class>]{m,n}$`: the catalogue's id patterns (`^[A-Za-z0-9_-]{1,64}$`, `^run-…`).
const BOUNDED_ASCII_PATTERN = /^\^([A-Za-z0-9_-]*)\[[A-Za-z0-9_\\-]+\]\{\d+,(\d+)\}\$$/;

/** The most UTF-8 bytes a value of a string schema can take, when the schema bounds it. */
function schemaWidth(schema: JsonSchema | undefined): number | undefined {
  if (!schema) return undefined;
  const values = (schema.enum as unknown[] | undefined) ?? ('const' in schema ? [schema.const] : undefined);
  if (values) {
    if (!values.every((v) => typeof v === 'string')) return undefined;
    return Math.max(...values.map((v) => Buffer.byteLength(v as string)));
  }
  if (schema.format === 'uuid') return 36;
  const pattern = typeof schema.pattern === 'string' ? BOUNDED_ASCII_PATTERN.exec(schema.pattern) : null;
  if (pattern) return pattern[1]!.length + Number(pattern[2]);
  // JSON Schema counts characters; UTF-8 takes up to 4 bytes for one.
  if (typeof schema.maxLength === 'number') return schema.maxLength * 4;
  return undefined;
}

/**
 * The widest text a JSON path of an event can hold, from the event catalogue: an envelope field, or a
 * `detail.<field>` that every event type declaring it bounds (a UUID, an enum, an ASCII id pattern with a
 * bounded length, or a maxLength). Undefined when some type leaves it unbounded or none declares it: the
 * caller must then say the width.
 */
export function jsonTextWidth(path: readonly string[]): number | undefined {
  if (path.length === 1) return ENVELOPE_WIDTHS[path[0]!];
  if (path.length !== 2 || path[0] !== 'detail') return undefined;
  let widest: number | undefined;
  for (const type of EVENT_CATALOGUE) {
    const properties = type.schema.properties as Record<string, JsonSchema> | undefined;
    if (!properties || !(path[1]! in properties)) continue;
    const width = schemaWidth(properties[path[1]!]);
    if (width === undefined) return undefined;
    widest = Math.max(widest ?? 0, width);
  }
  return widest;
}
