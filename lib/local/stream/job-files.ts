import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STREAM_SQL_FILES, type SqlFile } from '../../core/stream/job.js';
import { packageRoot } from '../../package-paths.js';

/** The folder of the stream job's SQL files (sql/stream/). */
export function streamSqlDir(): string {
  return join(packageRoot(), 'sql', 'stream');
}

/** The job's SQL files on Kafka, in the order they run (source, sink, job). */
export async function readStreamSqlFiles(dir: string = streamSqlDir()): Promise<SqlFile[]> {
  return Promise.all(
    STREAM_SQL_FILES.map(async (file) => ({
      file: `sql/stream/${file}`,
      sql: await readFile(join(dir, file), 'utf8'),
    })),
  );
}
