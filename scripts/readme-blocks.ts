// The README's command blocks, as `npm run test:readme` runs them: every ```sh block in order, except those
// marked with a reason; and the sample outputs that a block's output must reproduce.

/** A marker above a fence (blank lines between allowed): `<!-- readme-check: skip: <reason> -->` or `… output -->`. */
const MARKER = /^<!--\s*readme-check:\s*(skip|output)\b:?\s*(.*?)\s*-->\s*$/;

/** A ```sh block to run, a ```sh block skipped (with the reason), or a sample output to compare. */
export interface ReadmeBlock {
  readonly kind: 'run' | 'skip' | 'output';
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly text: string;
  /** Why a `skip` block is not run. */
  readonly reason?: string;
  /** For an `output` block: text of the command whose output it shows (the latest run block holding it). */
  readonly of?: string;
}

/** A README that the check cannot read as meant: a marker on nothing, a skip without a reason. */
export class ReadmeMarkupError extends Error {}

/** The blocks of `markdown` that the check acts on, in order. Other fenced blocks are left alone. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i]!);
    const marker = MARKER.exec(lines[i]!);
    if (marker && !/^```/.test(lines[nextNonBlank(lines, i + 1)] ?? ''))
      throw new ReadmeMarkupError(`README line ${i + 1}: a readme-check marker must be just above a fence`);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (i >= lines.length) throw new ReadmeMarkupError(`README line ${start + 1}: the block is never closed`);
    const above = MARKER.exec(lines[previousNonBlank(lines, start - 1)] ?? '');
    const text = body.join('\n');
    if (above?.[1] === 'output') {
      if (!above[2])
        throw new ReadmeMarkupError(
          `README line ${start}: say whose output: readme-check: output: <command>`,
        );
      blocks.push({ kind: 'output', line: start + 1, text, of: above[2] });
      continue;
    }
    if (fence[1] !== 'sh') {
      if (above) throw new ReadmeMarkupError(`README line ${start}: skip marks a block that is not sh`);
      continue;
    }
    if (above?.[1] === 'skip') {
      if (!above[2]) throw new ReadmeMarkupError(`README line ${start}: a skip marker needs a reason`);
      blocks.push({ kind: 'skip', line: start + 1, text, reason: above[2] });
    } else blocks.push({ kind: 'run', line: start + 1, text });
  }
  return blocks;
}

function nextNonBlank(lines: readonly string[], from: number): number {
  let i = from;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  return i;
}

function previousNonBlank(lines: readonly string[], from: number): number {
  let i = from;
  while (i >= 0 && lines[i]!.trim() === '') i--;
  return i;
}

/**
 * A line of output as the comparison sees it: what varies from run to run (run ids, durations, how many
 * objects the batch windows happened to cut) replaced by a placeholder, and runs of spaces made one.
 */
export function normalizeOutputLine(line: string): string {
  return line
    .replace(/run-\d{8}T\d{6}Z-[0-9a-f]+/g, 'run-…')
    .replace(/\b\d+(?:\.\d+)? s\b/g, '… s')
    .replace(/in [\d,]+ objects \([\d.,]+ events\/object\)/g, 'in … objects (… events/object)')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The lines of a sample output that the actual output lacks (compared normalized; blank lines ignored). */
export function missingOutputLines(sample: string, actual: string): string[] {
  const seen = new Set(actual.split('\n').map(normalizeOutputLine));
  return sample
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => !seen.has(normalizeOutputLine(l)));
}
