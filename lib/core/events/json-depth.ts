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
