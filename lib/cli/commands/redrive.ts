import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { FsObjectStore } from '../../adapters/store/fs-object-store.js';
import { createEventValidator } from '../../core/events/validator.js';
import { redriveKafkaFailures, type KafkaRedriveResult } from '../../core/landing/kafka-failures.js';
import { KAFKA_FAILURE_PREFIX } from '../../core/landing/object-keys.js';
import { systemClock, type ObjectStore } from '../../core/ports.js';
import { explainAwsError } from '../aws-errors.js';
import { DEFAULT_DATA_DIR, openDataDir, openStore, withStoreOption } from '../context.js';
import { landingOutputs } from '../stack-outputs.js';
import { CliError, intInRange, n, Progress } from '../output.js';

interface RedriveOptions {
  readonly dlqUrl?: string;
  readonly toUrl?: string;
  readonly outputs?: string;
  readonly kafka: boolean;
  readonly failures?: string;
  readonly store: string;
  readonly dataDir: string;
  readonly max: number;
  readonly json: boolean;
}

/** What a redrive did. */
export interface RedriveResult {
  readonly moved: number;
  readonly failed: number;
}

/**
 * Moves messages from a dead-letter queue back to the queue they came from: each is sent to the source
 * (body and message attributes unchanged) and deleted from the DLQ only once the send succeeded, so a
 * failure mid-way leaves a message in both queues (landing is idempotent), never in neither.
 */
export async function redrive(
  sqs: SQSClient,
  dlqUrl: string,
  toUrl: string,
  max: number,
): Promise<RedriveResult> {
  let moved = 0;
  let failed = 0;
  while (moved + failed < max) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - moved - failed),
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        VisibilityTimeout: 30,
      }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) break;
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: toUrl,
        Entries: messages.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? '',
          ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0
            ? { MessageAttributes: m.MessageAttributes as Record<string, MessageAttributeValue> }
            : {}),
        })),
      }),
    );
    const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
    failed += messages.length - ok.size;
    const done = messages.filter((_, i) => ok.has(i));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    moved += done.length;
    if (ok.size === 0) break;
  }
  return { moved, failed };
}

/** `elt redrive`: a DLQ's messages back to their source queue, or Kafka failure records back to landing. */
export function redriveCommand(): Command {
  const command = new Command('redrive')
    .description(
      'Move the messages of a dead-letter queue back to the queue they came from (LocalStack or AWS), once their cause is fixed, and report how many moved. A message is deleted from the DLQ only after it was sent to the source queue. With --kafka: land the batches a Kafka event source gave up on (the S3 failure bucket on AWS, or the failure records `elt land --transport kafka` wrote into the data directory) with the landing code; each failure object is deleted only after its batch is landed.',
    )
    .option('--dlq-url <url>', 'the dead-letter queue (output LandingDeadLetterQueueUrl)')
    .option('--to-url <url>', 'the source queue (output LandingQueueUrl)')
    .option(
      '--outputs <file>',
      'take the queues (or with --kafka the failure and raw buckets) from a `cdk deploy --outputs-file` JSON',
    )
    .option(
      '--kafka',
      "redrive the Kafka landing's failure records instead of an SQS dead-letter queue",
      false,
    )
    .option(
      '--failures <url>',
      "with --kafka: where the failure records are, s3://<bucket>[/<prefix>/] (output KafkaFailureBucketName) or a local directory (default: the data directory's, written by `elt land --transport kafka`)",
    )
    .addOption(
      new Option('--max <n>', 'move at most this many (with --kafka: failure objects)')
        .default(100_000)
        .argParser(intInRange(1, 10_000_000)),
    )
    .addOption(
      new Option(
        '--data-dir <dir>',
        'with --kafka: the data directory (its failure records, and with --store local its store receives the events)',
      ).default(DEFAULT_DATA_DIR),
    )
    .option('--json', 'machine-readable output on stdout', false)
    .action(async (options: RedriveOptions, cmd: Command) => {
      if (!options.kafka && options.failures) throw new CliError('--failures goes with --kafka');
      if (options.kafka) {
        await redriveKafkaCommand(options, cmd.getOptionValueSource('store') === 'default');
        return;
      }
      let dlqUrl = options.dlqUrl;
      let toUrl = options.toUrl;
      if (options.outputs) {
        const stack = landingOutputs(options.outputs);
        dlqUrl ??= stack.deadLetterQueueUrl;
        toUrl ??= stack.queueUrl;
      }
      if (!dlqUrl || !toUrl) throw new CliError('--dlq-url and --to-url (or --outputs) are required');
      let result: RedriveResult;
      const sqs = new SQSClient({});
      try {
        result = await redrive(sqs, dlqUrl, toUrl, options.max);
      } catch (error) {
        throw explainAwsError(error, 'sqs', `redriving ${dlqUrl}`);
      } finally {
        sqs.destroy();
      }
      if (result.failed > 0) process.exitCode = 1;
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ dlqUrl, toUrl, ...result })}\n`
          : `moved ${n(result.moved)} message(s) from ${dlqUrl} to ${toUrl}${result.failed > 0 ? `; ${n(result.failed)} could not be sent and stay in the DLQ` : ''}\n`,
      );
    });
  withStoreOption(command);
  return command;
}

/** `elt redrive --kafka`: the failure bucket's batches landed into the raw bucket (or a local store). */
async function redriveKafkaCommand(options: RedriveOptions, storeIsDefault: boolean): Promise<void> {
  let failuresUrl = options.failures;
  let storeUrl = options.store;
  if (options.outputs) {
    const stack = landingOutputs(options.outputs);
    if (!failuresUrl) {
      if (!stack.kafkaFailureBucket)
        throw new CliError(
          `--outputs: ${options.outputs} has no KafkaFailureBucketName output (is the Kafka landing path configured?)`,
        );
      failuresUrl = `s3://${stack.kafkaFailureBucket}`;
    }
    if (storeIsDefault && stack.bucket) storeUrl = `s3://${stack.bucket}`;
  }
  // Without --failures or --outputs: the failure objects `elt land --transport kafka` wrote into the
  // data directory's store.
  const ctx =
    storeUrl === 'local' || !failuresUrl
      ? await openDataDir({ dataDir: options.dataDir, json: options.json }, { mustExist: !failuresUrl })
      : undefined;
  let failures: ObjectStore;
  if (failuresUrl) {
    const failuresDir = resolve(failuresUrl);
    if (!failuresUrl.startsWith('s3://') && !existsSync(failuresDir))
      throw new CliError(`--failures: no directory at ${failuresDir} (give s3://<bucket> or a directory)`);
    failures = openStore(
      failuresUrl.startsWith('s3://') ? failuresUrl : 'local',
      () => new FsObjectStore(failuresDir),
    );
  } else failures = ctx!.store;
  const prefix = failuresUrl ? '' : KAFKA_FAILURE_PREFIX;
  const store = openStore(storeUrl, () => ctx!.store);
  const progress = new Progress(!options.json);
  let seen = 0;
  let result: KafkaRedriveResult;
  try {
    result = await redriveKafkaFailures(
      failures,
      { store, validator: createEventValidator(), clock: systemClock },
      {
        prefix,
        max: options.max,
        onObject: (key, outcome) => {
          seen++;
          progress.update(`${n(seen)} failure object(s) done, last ${outcome}: ${key}`);
        },
      },
    );
  } catch (error) {
    throw explainAwsError(error, 's3', `redriving ${failures.describe()}`);
  } finally {
    progress.done();
  }
  if (result.failed.length > 0 || result.unreadable.length > 0) process.exitCode = 1;
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ failures: failures.describe() + prefix, store: store.describe(), ...result })}\n`,
    );
    return;
  }
  const lines = [
    `redrove ${n(result.redriven)} of ${n(result.objects)} failure object(s) from ${failures.describe()}${prefix} into ${store.describe()}: ${n(result.records)} records, ${n(result.landedEvents)} events landed, ${n(result.quarantined)} quarantined`,
    ...result.failed.map((f) => `  not landed, kept: ${f.key}: ${f.reason}`),
    ...result.unreadable.map((f) => `  unreadable, kept: ${f.key}: ${f.reason}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
