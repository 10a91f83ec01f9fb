import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../lib/package-paths.js';
import { generatedFiles } from '../../scripts/generated-sources.js';

describe('generated files', () => {
  it.each(generatedFiles().map((f) => [f.path, f.content]))(
    '%s matches its sources (run `npm run gen`)',
    async (path, content) => {
      expect(await readFile(join(packageRoot(), path), 'utf8')).toBe(content);
    },
  );
});
