import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { Command, Option } from 'commander';
import { explainAwsError } from '../aws-errors.js';
import { landingOutputs } from '../stack-outputs.js';
import { CliError, intInRange, n } from '../output.js';

interface RedriveOptions {
  readonly dlqUrl?: string;
  readonly toUrl?: string;
  readonly outputs?: string;
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

/** `elt redrive`: a DLQ's messages back to their source queue. */
export function redriveCommand(): Command {
  return new Command('redrive')
    .description(
      'Move the messages of a dead-letter queue back to the queue they came from (LocalStack or AWS), once their cause is fixed, and report how many moved. A message is deleted from the DLQ only after it was sent to the source queue.',
    )
    .option('--dlq-url <url>', 'the dead-letter queue (output LandingDeadLetterQueueUrl)')
    .option('--to-url <url>', 'the source queue (output LandingQueueUrl)')
    .option('--outputs <file>', 'take both from a `cdk deploy --outputs-file` JSON')
    .addOption(
      new Option('--max <n>', 'move at most this many').default(100_000).argParser(intInRange(1, 10_000_000)),
    )
    .option('--json', 'machine-readable output on stdout', false)
    .action(async (options: RedriveOptions) => {
      let dlqUrl = options.dlqUrl;
      let toUrl = options.toUrl;
      if (options.outputs) {
        const stack = landingOutputs(options.outputs);
        dlqUrl ??= stack.deadLetterQueueUrl;
        toUrl ??= stack.queueUrl;
      }
      if (!dlqUrl || !toUrl) throw new CliError('--dlq-url and --to-url (or --outputs) are required');
      let result: RedriveResult;
      try {
        result = await redrive(new SQSClient({}), dlqUrl, toUrl, options.max);
      } catch (error) {
        throw explainAwsError(error, 'sqs', `redriving ${dlqUrl}`);
      }
      if (result.failed > 0) process.exitCode = 1;
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ dlqUrl, toUrl, ...result })}\n`
          : `moved ${n(result.moved)} message(s) from ${dlqUrl} to ${toUrl}${result.failed > 0 ? `; ${n(result.failed)} could not be sent and stay in the DLQ` : ''}\n`,
      );
    });
}
