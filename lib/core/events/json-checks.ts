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
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child !== null && typeof child === 'object') {
        stack.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/**
 * Whether any string — value or key — is not well-formed UTF-16 (an unpaired surrogate, which JSON.parse
 * accepts from `"\ud800"` but warehouses' JSON parsers reject). Iterative and allocation-light: it runs
 * on every landed event; {@link malformedStringPath} names the place when this says yes.
 */
export function hasMalformedString(value: unknown): boolean {
  if (typeof value === 'string') return !value.isWellFormed();
  if (value === null || typeof value !== 'object') return false;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (Array.isArray(node)) {
      for (const child of node) {
        if (typeof child === 'string') {
          if (!child.isWellFormed()) return true;
        } else if (child !== null && typeof child === 'object') stack.push(child);
      }
    } else {
      for (const key in node) {
        if (!key.isWellFormed()) return true;
        const child = (node as Record<string, unknown>)[key];
        if (typeof child === 'string') {
          if (!child.isWellFormed()) return true;
        } else if (child !== null && typeof child === 'object') stack.push(child);
      }
    }
  }
  return false;
}

/**
 * The path (e.g. `detail.tags[2]`) of the first string — value or key — that is not well-formed UTF-16
 * (an unpaired surrogate, which JSON.parse accepts from `"\ud800"` but warehouses' JSON parsers reject),
 * or undefined when every string is well formed. Iterative, like {@link jsonDepthExceeds}.
 */
export function malformedStringPath(value: unknown, root = '$'): string | undefined {
  const stack: { node: unknown; path: string }[] = [{ node: value, path: root }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (typeof node === 'string') {
      if (!node.isWellFormed()) return path;
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], path: `${path}[${i}]` });
    } else if (node !== null && typeof node === 'object') {
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (!key.isWellFormed()) return `${path} (a key)`;
        stack.push({ node: (node as Record<string, unknown>)[key], path: `${path}.${key}` });
      }
    }
  }
  return undefined;
}
