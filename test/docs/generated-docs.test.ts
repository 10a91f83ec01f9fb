import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCatalogueDoc } from '../../lib/core/events/catalogue-doc.js';
import { packageRoot } from '../../lib/package-paths.js';

describe('generated docs', () => {
  it('docs/events.md matches the catalogue and rules (run `npm run docs` after changing them)', async () => {
    const onDisk = await readFile(join(packageRoot(), 'docs', 'events.md'), 'utf8');
    expect(onDisk).toBe(renderCatalogueDoc());
  });
});
