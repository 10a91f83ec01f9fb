// `npm run docs`: regenerates the documentation that is derived from code.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCatalogueDoc } from '../lib/core/events/catalogue-doc.js';
import { packageRoot } from '../lib/package-paths.js';

const target = join(packageRoot(), 'docs', 'events.md');
await writeFile(target, renderCatalogueDoc());
process.stdout.write(`wrote ${target}\n`);
