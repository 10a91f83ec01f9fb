/** How a markdown table column is aligned. */
export type ColumnAlign = 'left' | 'right';

/** Makes text safe for one markdown table cell: one line, pipes escaped. */
export function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim();
}

/**
 * A markdown table laid out as prettier lays it out (columns padded to their widest cell, at least three
 * dashes), so a generated doc passes `prettier --check` as written. Cells must already be {@link cell}-safe.
 */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly ColumnAlign[] = [],
): string {
  const width = (s: string): number => [...s].length;
  const widths = headers.map((h, i) => Math.max(3, width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const pad = (s: string, i: number): string => {
    const fill = ' '.repeat((widths[i] ?? 0) - width(s));
    return align[i] === 'right' ? fill + s : s + fill;
  };
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => pad(c, i)).join(' | ')} |`;
  const rule = widths.map((w, i) => (align[i] === 'right' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w)));
  return [
    line(headers),
    `| ${rule.join(' | ')} |`,
    ...rows.map((r) => line(headers.map((_, i) => r[i] ?? ''))),
  ].join('\n');
}
