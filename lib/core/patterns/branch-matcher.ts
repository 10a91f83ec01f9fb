import { isJsonObject, isJsonPrimitive, ownValue, type JsonObject, type ValueTest } from './json-value.js';
import type { BranchCondition, PatternBranch } from './pattern-branches.js';

/**
 * One field-name step of a branch, after splitting its dotted paths on ".": `detail.state` becomes the
 * node `detail` with the child `state`.
 */
interface MatchNode {
  readonly name: string;
  readonly children: MatchNode[];
  condition: BranchCondition | undefined;
  /** Whether a `present` condition sits anywhere below this node: then array elements must be chosen. */
  childrenArePinned: boolean;
  /**
   * Dotted keys by which an event object at this node can reach a deeper node in one step, e.g.
   * `state.status` reaching the grandchild `status`: EventBridge treats `{"state.status": …}` in an event
   * like `{"state": {"status": …}}`.
   */
  shortcuts: { readonly key: string; readonly target: MatchNode }[];
}

/** Event values that reached a node through a dotted shortcut key, keyed by that node. */
type Shortcuts = ReadonlyMap<MatchNode, readonly unknown[]>;

const anyValue: ValueTest = () => true;

function newNode(name: string): MatchNode {
  return { name, children: [], condition: undefined, childrenArePinned: false, shortcuts: [] };
}

function descendants(node: MatchNode, prefix: string, into: { key: string; target: MatchNode }[]): void {
  for (const child of node.children) {
    const key = `${prefix}.${child.name}`;
    into.push({ key, target: child });
    descendants(child, key, into);
  }
}

function finish(node: MatchNode): void {
  for (const child of node.children) finish(child);
  // Cheap leaf checks first, so most non-matching events are rejected before any deeper walk.
  node.children.sort((a, b) => Number(a.children.length > 0) - Number(b.children.length > 0));
  node.childrenArePinned = node.children.some(
    (child) => child.condition?.kind === 'present' || child.childrenArePinned,
  );
  // Only grandchildren and deeper: children are reached by their own name.
  for (const child of node.children) descendants(child, child.name, node.shortcuts);
}

function buildTree(branch: PatternBranch): MatchNode {
  const root = newNode('');
  for (const [dottedPath, condition] of branch) {
    let node = root;
    for (const name of dottedPath.split('.')) {
      let child = node.children.find((candidate) => candidate.name === name);
      if (child === undefined) {
        child = newNode(name);
        node.children.push(child);
      }
      node = child;
    }
    node.condition = condition;
  }
  finish(root);
  return root;
}

/** Whether any leaf value among `values` (array elements included, objects skipped) passes `test`. */
function someLeafValue(values: readonly unknown[], test: ValueTest): boolean {
  for (const value of values) {
    if (Array.isArray(value)) {
      if (someLeafValue(value, test)) return true;
    } else if (isJsonPrimitive(value) && test(value)) {
      return true;
    }
  }
  return false;
}

/** Collects the objects inside an array, descending into nested arrays. */
function collectObjects(values: readonly unknown[], into: JsonObject[]): void {
  for (const value of values) {
    if (Array.isArray(value)) collectObjects(value, into);
    else if (isJsonObject(value)) into.push(value);
  }
}

function evaluateChildren(
  node: MatchNode,
  objects: readonly JsonObject[],
  shortcuts: Shortcuts | undefined,
): boolean {
  let scope = shortcuts;
  for (const { key, target } of node.shortcuts) {
    for (const object of objects) {
      const value = ownValue(object, key);
      if (value === undefined) continue;
      const copy = new Map(scope);
      copy.set(target, [...(copy.get(target) ?? []), value]);
      scope = copy;
    }
  }
  for (const child of node.children) {
    const located: unknown[] = [];
    for (const object of objects) {
      const value = ownValue(object, child.name);
      if (value !== undefined) located.push(value);
    }
    if (!evaluateNode(child, located, scope)) return false;
  }
  return true;
}

function chooseElements(
  node: MatchNode,
  chosen: JsonObject[],
  choices: readonly (readonly JsonObject[])[],
  index: number,
  shortcuts: Shortcuts | undefined,
): boolean {
  const elements = choices[index];
  if (elements === undefined) return evaluateChildren(node, chosen, shortcuts);
  for (const element of elements) {
    chosen.push(element);
    const matched = chooseElements(node, chosen, choices, index + 1, shortcuts);
    chosen.pop();
    if (matched) return true;
  }
  return false;
}

/**
 * Evaluates the subtree of `node` over the event values found at its path. Array semantics follow
 * EventBridge's array-consistent matching: the conditions below one array must all be satisfied by the
 * same element ("employees": Anna's first name and Smith's last name do not make "Anna Smith"). When
 * nothing but `exists: false` sits below the array, no element is singled out and the field must be
 * absent from every element.
 */
function evaluateNode(
  node: MatchNode,
  located: readonly unknown[],
  shortcuts: Shortcuts | undefined,
): boolean {
  const extra = shortcuts?.get(node);
  const values = extra === undefined ? located : [...located, ...extra];
  const condition = node.condition;
  if (condition !== undefined) {
    const found = someLeafValue(values, condition.kind === 'present' ? condition.test : anyValue);
    if (found !== (condition.kind === 'present')) return false;
  }
  if (node.children.length === 0) return true;
  const objects: JsonObject[] = [];
  let arrays: unknown[][] | undefined;
  for (const value of values) {
    if (Array.isArray(value)) (arrays ??= []).push(value);
    else if (isJsonObject(value)) objects.push(value);
  }
  if (arrays === undefined) return evaluateChildren(node, objects, shortcuts);
  if (!node.childrenArePinned) {
    for (const array of arrays) collectObjects(array, objects);
    return evaluateChildren(node, objects, shortcuts);
  }
  const choices: JsonObject[][] = [];
  for (const array of arrays) {
    const elements: JsonObject[] = [];
    collectObjects(array, elements);
    if (elements.length > 0) choices.push(elements);
  }
  return chooseElements(node, objects, choices, 0, shortcuts);
}

/**
 * Compiles one pattern branch into a test over events. The pattern is interpreted once, here; each
 * call only walks the event along the branch's field names.
 */
export function compileBranch(branch: PatternBranch): (event: JsonObject) => boolean {
  const root = buildTree(branch);
  return (event) => evaluateChildren(root, [event], undefined);
}
