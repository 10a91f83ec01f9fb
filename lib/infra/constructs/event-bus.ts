import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { RuleDefinition, RuleTarget } from '../../core/rules.js';
import { ConstructPropsError } from '../construct-errors.js';

/** Props of {@link EltEventBus}. */
export interface EltEventBusProps {
  readonly busName: string;
  /** The rule catalogue: one EventBridge rule per definition, with the definition's pattern verbatim. */
  readonly rules: readonly RuleDefinition[];
  /** The queue bound to each logical target of the rule catalogue. */
  readonly targets: Readonly<Record<RuleTarget['queue'], sqs.IQueue>>;
  /** Days the archive keeps events; 0 keeps them indefinitely. */
  readonly archiveRetentionDays: number;
  /** Leave the archive out (a target that cannot create one, lib/core/deploy-config/targets.ts). @default false */
  readonly withoutArchive?: boolean;
  /** Delivery retries from a rule to its queue (0–185). */
  readonly retryAttempts: number;
  /** Oldest event a rule still tries to deliver (60 s–24 h). */
  readonly maxEventAge: Duration;
}

/**
 * The custom event bus: an archive of everything published (for replay), and the rules of the rule
 * catalogue, each delivering to its queue with an explicit retry policy and a dead-letter queue for
 * events the bus cannot deliver (after the retries, EventBridge would otherwise drop them).
 */
export class EltEventBus extends Construct {
  readonly bus: events.EventBus;
  /** Absent when the target leaves it out. */
  readonly archive?: events.Archive;
  readonly rules: ReadonlyMap<string, events.Rule>;
  /** Events a rule could not deliver to its queue. */
  readonly targetDeadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: EltEventBusProps) {
    super(scope, id);
    const seconds = props.maxEventAge.toSeconds();
    if (seconds < 60 || seconds > 86_400)
      throw new ConstructPropsError(`EltEventBus: maxEventAge must be 60–86,400 s, got ${seconds}`);
    if (props.retryAttempts < 0 || props.retryAttempts > 185) {
      throw new ConstructPropsError(`EltEventBus: retryAttempts must be 0–185, got ${props.retryAttempts}`);
    }
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: props.busName });
    if (!props.withoutArchive)
      this.archive = this.bus.archive('Archive', {
        description: `Every event on ${props.busName}, for replay`,
        // An archive needs a pattern; every event has an account, so this one takes them all.
        eventPattern: { account: [this.bus.env.account] },
        ...(props.archiveRetentionDays > 0 ? { retention: Duration.days(props.archiveRetentionDays) } : {}),
      });
    this.targetDeadLetterQueue = new sqs.Queue(this, 'TargetDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(this.targetDeadLetterQueue, [
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This is the dead-letter queue of the rule targets; it has no DLQ of its own by design.',
      },
    ]);
    const rules = new Map<string, events.Rule>();
    for (const definition of props.rules) {
      const queue = props.targets[definition.target.queue];
      if (!queue)
        throw new ConstructPropsError(
          `EltEventBus: rule ${definition.name} targets "${definition.target.queue}", which has no queue`,
        );
      const rule = new events.Rule(this, `Rule-${definition.name}`, {
        eventBus: this.bus,
        ruleName: `${props.busName}-${definition.name}`.slice(0, 64),
        description: definition.description.slice(0, 512),
        // Placeholder for the L2 validation; the catalogue's JSON is set verbatim on the resource below.
        eventPattern: { source: events.Match.prefix('') },
        targets: [
          new targets.SqsQueue(queue, {
            deadLetterQueue: this.targetDeadLetterQueue,
            retryAttempts: props.retryAttempts,
            maxEventAge: props.maxEventAge,
          }),
        ],
      });
      // The rule catalogue is the source of truth: its pattern goes into the template exactly as written,
      // the same JSON the in-process bus matches with.
      (rule.node.defaultChild as events.CfnRule).eventPattern = definition.pattern;
      rules.set(definition.name, rule);
    }
    this.rules = rules;
  }
}
