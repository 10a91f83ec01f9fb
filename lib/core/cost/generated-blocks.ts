import { EltError } from '../util/errors.js';

/** A generated block's markers are missing from a doc. */
export class GeneratedBlockError extends EltError {}

/** The start marker of block `name`, saying where its source is (`edit`). */
export const blockStart = (name: string, edit: string): string =>
  `<!-- generated:${name} (npm run gen; edit ${edit}, not this block) -->`;

/** The end marker of block `name`. */
export const blockEnd = (name: string): string => `<!-- /generated:${name} -->`;

/**
 * `current` with its hand-written text kept as it is and every block of `blocks` rewritten between its
 * markers (`<!-- generated:<name> … -->` … `<!-- /generated:<name> -->`). A block whose markers are missing
 * is an error, so a generated table cannot silently disappear. `file` names the doc in that error; `edit`
 * says in the start marker what to edit instead of the block.
 */
export function replaceGeneratedBlocks(
  current: string,
  blocks: ReadonlyMap<string, string>,
  file: string,
  edit: string,
): string {
  let doc = current;
  for (const [name, body] of blocks) {
    // The start marker may carry any comment after the name; it is rewritten to the canonical one.
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const found = new RegExp(`<!-- generated:${escaped}(?: [^>]*)? -->`).exec(doc);
    const to = doc.indexOf(blockEnd(name));
    if (!found || to < found.index)
      throw new GeneratedBlockError(
        `${file} has no generated block "${name}": add the lines ${blockStart(name, edit)} and ${blockEnd(name)}`,
      );
    doc = `${doc.slice(0, found.index)}${blockStart(name, edit)}\n\n${body}\n\n${doc.slice(to)}`;
  }
  return doc;
}
