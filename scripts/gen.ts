// `npm run gen`: rewrites the files derived from code and SQL (a test fails when they drift).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { packageRoot } from '../lib/package-paths.js';
import { generatedFiles } from './generated-sources.js';

for (const file of generatedFiles()) {
  const target = join(packageRoot(), file.path);
  const current = await readFile(target, 'utf8').catch(() => undefined);
  if (current === file.content) continue;
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, file.content);
  process.stdout.write(`wrote ${file.path}\n`);
}
