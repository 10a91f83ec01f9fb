/** A JSON leaf value: the only kind of event value a pattern operator compares against. */
export type JsonPrimitive = string | number | boolean | null;

/** A test over one event leaf value. */
export type ValueTest = (value: JsonPrimitive) => boolean;

/** A JSON object as produced by `JSON.parse`. */
export type JsonObject = Record<string, unknown>;

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for a JSON leaf value. */
export function isJsonPrimitive(value: unknown): value is JsonPrimitive {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

/**
 * Reads an own property only: a pattern field named `constructor` or `__proto__` must not find
 * `Object.prototype` members in the event.
 */
export function ownValue(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Extends a JSON path (`$`, `$.detail`, `$["detail-type"][0]`) by an object key or an array index. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return IDENTIFIER.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}
