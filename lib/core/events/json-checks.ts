/**
 * Whether the nesting depth of a parsed JSON value, without recursion (so a hostile value cannot overflow the stack).
 * Answers only "deeper than `limit`?" and stops at the first node past it. A scalar has depth 0, `{}` and
 * `[]` depth 1.
 */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop() as object;
    const depth = depths.pop() as number;
    if (depth > limit) return true;
    // Keys read in place rather than through Object.values, which allocates an array per object.
    if (Array.isArray(node)) {
      for (const child of node) {
        if (child !== null && typeof child === 'object') {
          stack.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        const child = (node as Record<string, unknown>)[key];
        if (child !== null && typeof child === 'object') {
          stack.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

/**
 * Whether a string would break a warehouse: an unpaired UTF-16 surrogate (JSON.parse accepts `"\ud800"`,
 * warehouse JSON parsers do not) or a NUL character (PostgreSQL text and JSONB reject `\u0000`).
 */
export function isWarehouseSafe(s: string): boolean {
  return s.isWellFormed() && !s.includes('\u0000');
}

/**
 * Whether any string — value or key — is not {@link isWarehouseSafe}. Iterative and allocation-light: it
 * runs on every landed event; {@link malformedStringPath} names the place when this says yes.
 */
export function hasMalformedString(value: unknown): boolean {
  if (typeof value === 'string') return !isWarehouseSafe(value);
  if (value === null || typeof value !== 'object') return false;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (Array.isArray(node)) {
      for (const child of node) {
        if (typeof child === 'string') {
          if (!isWarehouseSafe(child)) return true;
        } else if (child !== null && typeof child === 'object') stack.push(child);
      }
    } else {
      for (const key in node) {
        if (!isWarehouseSafe(key)) return true;
        const child = (node as Record<string, unknown>)[key];
        if (typeof child === 'string') {
          if (!isWarehouseSafe(child)) return true;
        } else if (child !== null && typeof child === 'object') stack.push(child);
      }
    }
  }
  return false;
}

/**
 * Where the first string that is not {@link isWarehouseSafe} is (e.g. `detail.tags[2]`) and what is wrong
 * with it, or undefined when every string is safe. Iterative, like {@link jsonDepthExceeds}.
 */
export function malformedStringPath(value: unknown, root = '$'): string | undefined {
  const stack: { node: unknown; path: string }[] = [{ node: value, path: root }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (typeof node === 'string') {
      if (!isWarehouseSafe(node)) return `${path} ${problemOf(node)}`;
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], path: `${path}[${i}]` });
    } else if (node !== null && typeof node === 'object') {
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (!isWarehouseSafe(key)) return `${path} has a key that ${problemOf(key)}`;
        stack.push({ node: (node as Record<string, unknown>)[key], path: `${path}.${key}` });
      }
    }
  }
  return undefined;
}

function problemOf(s: string): string {
  return s.isWellFormed()
    ? 'contains a NUL character (\\u0000), which PostgreSQL text and JSONB reject'
    : 'contains an unpaired UTF-16 surrogate, which warehouse JSON parsers reject';
}

/**
 * Whether a string is a UUID in its text form (8-4-4-4-12 hex digits, either case): what
 * `/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i` matches, read without a regular
 * expression (every landed event's eventId goes through it; the ingest API's idempotency keys too).
 */
export function isUuidText(s: string): boolean {
  if (s.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) {
      return false;
    }
  }
  return true;
}
