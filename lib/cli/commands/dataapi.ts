import { Command, InvalidArgumentError, Option } from 'commander';
import { DataApiServer } from '../../local/data-api/server.js';
import { objectReader } from '../../local/data-api/object-readers.js';
import { intInRange } from '../output.js';

interface DataApiOptions {
  readonly port: number;
  readonly postgres: string;
  readonly bucketDir: Record<string, string>;
  readonly s3Endpoint?: string;
  readonly json: boolean;
}

function bucketDir(value: string, previous: Record<string, string>): Record<string, string> {
  const m = /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])=(.+)$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected <bucket>=<directory>');
  return { ...previous, [m[1]!]: m[2]! };
}

/** `elt dataapi`: a local Redshift Data API endpoint over PostgreSQL. */
export function dataApiCommand(): Command {
  return new Command('dataapi')
    .description(
      'Serve the Amazon Redshift Data API (ExecuteStatement, BatchExecuteStatement, DescribeStatement, GetStatementResult, ListStatements, CancelStatement) on 127.0.0.1, running statements on PostgreSQL. COPY from S3 reads the objects from --bucket-dir directories or an --s3-endpoint. Point a client at it with AWS_ENDPOINT_URL_REDSHIFT_DATA=http://127.0.0.1:<port>.',
    )
    .addOption(
      new Option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)')
        .default(4577)
        .argParser(intInRange(0, 65_535)),
    )
    .requiredOption(
      '--postgres <url>',
      'the PostgreSQL server statements run on, e.g. postgres://postgres@127.0.0.1:55432/elt',
    )
    .option(
      '--bucket-dir <bucket=dir>',
      'serve COPY reads of this bucket from a local directory (repeatable)',
      bucketDir,
      {},
    )
    .option(
      '--s3-endpoint <url>',
      'read other buckets through this S3 endpoint (e.g. LocalStack http://127.0.0.1:4566)',
    )
    .option('--json', 'print {"endpoint": …} once listening', false)
    .action(async (options: DataApiOptions) => {
      const server = new DataApiServer({
        postgresUrl: options.postgres,
        objects: objectReader({
          bucketDirs: options.bucketDir,
          ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}),
        }),
      });
      const endpoint = await server.listen(options.port);
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ endpoint })}\n`
          : `Redshift Data API on ${endpoint} (statements run on PostgreSQL). Use AWS_ENDPOINT_URL_REDSHIFT_DATA=${endpoint}. Ctrl-C stops it.\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    });
}
