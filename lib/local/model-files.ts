import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseModel, type Model } from '../core/elt/models.js';
import { modelsDir } from '../package-paths.js';

/** Reads every `*.sql` model in a directory (the repository's sql/models by default). */
export function loadModels(dir: string = modelsDir()): Model[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseModel(basename(f, '.sql'), readFileSync(join(dir, f), 'utf8')));
}
