import { Command, InvalidArgumentError, Option } from 'commander';
import {
  checkAccessKeyId,
  checkSecretArn,
  databaseUserOfArn,
  DataApiIdentityError,
  roleName,
} from '../../local/data-api/database-users.js';
import { DataApiServer } from '../../local/data-api/server.js';
import { objectReader } from '../../local/data-api/object-readers.js';
import { intInRange } from '../output.js';
import { untilStopped } from '../stop-signals.js';

interface DataApiOptions {
  readonly port: number;
  readonly postgres: string;
  readonly bucketDir: Record<string, string>;
  readonly s3Endpoint?: string;
  readonly identity: Record<string, string>;
  readonly secret: Record<string, string>;
  readonly maxResultMb: number;
  readonly json: boolean;
}

function bucketDir(value: string, previous: Record<string, string>): Record<string, string> {
  const m = /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])=(.+)$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected <bucket>=<directory>');
  return { ...previous, [m[1]!]: m[2]! };
}

/** Runs a check of database-users.ts, its refusal as the option's error. */
function checked(check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof DataApiIdentityError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

// `<access key id>=<IAM ARN>`: an access key id has no `=`, so the first one splits.
function identity(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at < 1 || at === value.length - 1)
    throw new InvalidArgumentError('expected <access key id>=<IAM role, user or assumed-role ARN>');
  const [key, arn] = [value.slice(0, at), value.slice(at + 1)];
  checked(() => {
    checkAccessKeyId(key);
    databaseUserOfArn(arn);
  });
  return { ...previous, [key]: arn };
}

// `<secret ARN>=<database user>`: a secret's name may hold `=`, so the last one splits.
function secret(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.lastIndexOf('=');
  if (at < 1 || at === value.length - 1)
    throw new InvalidArgumentError('expected <secret ARN>=<database user>');
  const [arn, user] = [value.slice(0, at), value.slice(at + 1)];
  checked(() => {
    checkSecretArn(arn);
    roleName(user, `the secret ${arn}`);
  });
  return { ...previous, [arn]: user };
}

/** `elt dataapi`: a local Redshift Data API endpoint over PostgreSQL. */
export function dataApiCommand(): Command {
  return new Command('dataapi')
    .description(
      'Serve the Amazon Redshift Data API (ExecuteStatement, BatchExecuteStatement, DescribeStatement, GetStatementResult, ListStatements, CancelStatement) on 127.0.0.1, running statements on PostgreSQL. Each caller runs as its own database user, as on Redshift: the access key a request is signed with maps to an IAM identity (--identity; IAM role R → IAMR:R, IAM user U → IAM:U; an unmapped key acts as IAM:<key>), a SecretArn runs as the --postgres user (a superuser, like the admin) or the user --secret names, and ClusterIdentifier + DbUser as that user; roles are made on first use. Results over 64 KB a row or --max-result-mb in all fail, as on the service; PRIMARY KEY and UNIQUE are not enforced. COPY from S3 reads the objects from --bucket-dir directories or an --s3-endpoint. Point a client at it with AWS_ENDPOINT_URL_REDSHIFT_DATA=http://127.0.0.1:<port>.',
    )
    .addOption(
      new Option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)')
        .default(4577)
        .argParser(intInRange(0, 65_535)),
    )
    .requiredOption(
      '--postgres <url>',
      'the PostgreSQL server statements run on, as a superuser, e.g. postgres://postgres@127.0.0.1:55432/elt',
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
    .option(
      '--identity <accessKeyId=arn>',
      'requests signed with this access key run as this IAM identity: arn:aws:iam::<account>:role/<name> (database user IAMR:<name>), arn:aws:iam::<account>:user/<name> (IAM:<name>) or arn:aws:sts::<account>:assumed-role/<role>/<session> (IAMR:<role>) (repeatable)',
      identity,
      {},
    )
    .option(
      '--secret <secretArn=dbUser>',
      'requests with this SecretArn run as this database user instead of the --postgres user (repeatable)',
      secret,
      {},
    )
    .addOption(
      new Option(
        '--max-result-mb <n>',
        'fail a statement whose result set is larger, with "Database response exceeded size limit" (MB of 10^6 bytes; the service documents 100, newer pages 500)',
      )
        .default(100)
        .argParser(intInRange(1, 100_000)),
    )
    .option('--json', 'print {"endpoint": …} once listening', false)
    .action(async (options: DataApiOptions) => {
      const server = new DataApiServer({
        postgresUrl: options.postgres,
        objects: objectReader({
          bucketDirs: options.bucketDir,
          ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}),
        }),
        identities: options.identity,
        secrets: options.secret,
        maxResultBytes: options.maxResultMb * 1_000_000,
      });
      const endpoint = await server.listen(options.port);
      try {
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ endpoint })}\n`
            : `Redshift Data API on ${endpoint} (statements run on PostgreSQL). Use AWS_ENDPOINT_URL_REDSHIFT_DATA=${endpoint}. Ctrl-C stops it.\n`,
        );
        await untilStopped();
      } finally {
        await server.close();
      }
    });
}
