import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { RULES } from '../core/rules.js';
import type { EltConfig } from './config.js';
import { EltEventBus } from './constructs/event-bus.js';
import { KafkaCluster } from './constructs/kafka-cluster.js';
import { KafkaFailureBucket } from './constructs/kafka-failure-bucket.js';
import { LandingQueue } from './constructs/landing-queue.js';
import { RawBucket } from './constructs/raw-bucket.js';
import { RedshiftServerlessWarehouse } from './constructs/redshift-serverless-warehouse.js';
import {
  DataApiEndpointWarehouse,
  isRedshiftServerless,
  type EltWarehouse,
} from './constructs/data-api-warehouse.js';
import { leftOut } from '../core/deploy-config/targets.js';

/** Props of {@link EltStatefulStack}. */
export interface EltStatefulStackProps extends StackProps {
  readonly config: EltConfig;
}

/** The resources that hold data, passed to the stateless stack as typed resources. */
export interface EltStatefulResources {
  readonly bus: EltEventBus;
  readonly landingQueue: LandingQueue;
  readonly rawBucket: RawBucket;
  /**
   * Redshift Serverless; on the emulator, a Data API endpoint outside the stack; absent on LocalStack, where
   * the ELT workflow is left out.
   */
  readonly warehouse?: EltWarehouse;
  /** The MSK Serverless cluster of the Kafka landing path; only with `kafka.mode` "msk-serverless". */
  readonly kafkaCluster?: KafkaCluster;
  /** Where the Kafka event source mapping writes the batches it gave up on; only when `kafka` is configured. */
  readonly kafkaFailures?: KafkaFailureBucket;
  /** The ingest API's bearer token; only when `ingestApi.enabled`. */
  readonly ingestTokenSecret?: secretsmanager.Secret;
}

/**
 * Everything that keeps data: the bus and its archive, the routing rules, the landing queue and its
 * DLQ, the raw bucket, Redshift Serverless, and with the Kafka landing path its failure bucket and (when
 * configured) the MSK Serverless cluster. Deployed separately so the functions and the workflow can be
 * replaced freely without touching data.
 */
export class EltStatefulStack extends Stack {
  readonly resources: EltStatefulResources;
  private readonly azs: readonly string[];

  constructor(scope: Construct, id: string, props: EltStatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.azs = config.warehouse.availabilityZones;
    const prefix = `elt-${config.envName}`;
    const landingQueue = new LandingQueue(this, 'LandingQueue', {
      consumerTimeout: Duration.seconds(config.landing.timeoutSeconds),
      batchWindow: Duration.seconds(config.landing.batchWindowSeconds),
      maxReceiveCount: config.landing.maxReceiveCount,
    });
    const bus = new EltEventBus(this, 'EventBus', {
      busName: `${prefix}-bus`,
      rules: RULES,
      targets: { landing: landingQueue.queue },
      archiveRetentionDays: config.bus.archiveRetentionDays,
      withoutArchive: leftOut(config.target, 'archive') !== undefined,
      retryAttempts: config.ruleTarget.retryAttempts,
      maxEventAge: Duration.seconds(config.ruleTarget.maxEventAgeSeconds),
    });
    const rawBucket = new RawBucket(this, 'RawBucket', {
      infrequentAccessAfterDays: config.rawBucket.infrequentAccessAfterDays,
      quarantineExpireDays: config.rawBucket.quarantineExpireDays,
      destroyOnRemoval: config.rawBucket.destroyOnRemoval,
    });
    const warehouse = this.createWarehouse(config, prefix, rawBucket);
    // MSK Serverless joins the warehouse's isolated VPC (config refuses kafka on the targets without
    // Redshift Serverless, so the VPC is there whenever this is).
    const kafkaCluster =
      warehouse && isRedshiftServerless(warehouse) && config.kafka?.mode === 'msk-serverless'
        ? new KafkaCluster(this, 'Kafka', { clusterName: `${prefix}-kafka`, vpc: warehouse.vpc })
        : undefined;
    const kafkaFailures = config.kafka
      ? new KafkaFailureBucket(this, 'KafkaFailures', {
          accessLogs: rawBucket.accessLogs,
          expireDays: config.rawBucket.quarantineExpireDays,
          destroyOnRemoval: config.rawBucket.destroyOnRemoval,
        })
      : undefined;
    const ingestTokenSecret = config.ingestApi.enabled
      ? this.createIngestTokenSecret(prefix, config.rawBucket.destroyOnRemoval)
      : undefined;
    this.resources = {
      bus,
      landingQueue,
      rawBucket,
      ...(warehouse ? { warehouse } : {}),
      ...(kafkaCluster ? { kafkaCluster } : {}),
      ...(kafkaFailures ? { kafkaFailures } : {}),
      ...(ingestTokenSecret ? { ingestTokenSecret } : {}),
    };

    new CfnOutput(this, 'BusName', {
      value: bus.bus.eventBusName,
      description: 'Publish here: elt publish --bus eventbridge:<name>',
    });
    new CfnOutput(this, 'RawBucketName', {
      value: rawBucket.bucket.bucketName,
      description: 'Landed events under raw/, rejects under quarantine/',
    });
    new CfnOutput(this, 'LandingQueueUrl', { value: landingQueue.queue.queueUrl });
    new CfnOutput(this, 'LandingDeadLetterQueueUrl', { value: landingQueue.deadLetterQueue.queueUrl });
    if (warehouse && isRedshiftServerless(warehouse)) {
      new CfnOutput(this, 'WorkgroupName', {
        value: warehouse.workgroupName,
        description: 'Redshift Serverless workgroup',
      });
      new CfnOutput(this, 'DatabaseName', { value: warehouse.databaseName });
    }
    if (ingestTokenSecret) {
      new CfnOutput(this, 'IngestTokenSecretArn', {
        value: ingestTokenSecret.secretArn,
        description:
          'The ingest API bearer token: aws secretsmanager get-secret-value --secret-id <arn> --query SecretString',
      });
    }
    if (kafkaFailures) {
      new CfnOutput(this, 'KafkaFailureBucketName', {
        value: kafkaFailures.bucket.bucketName,
        description:
          'Batches the Kafka event source mapping gave up on, records included: elt redrive --kafka --outputs <file>',
      });
    }
    if (kafkaCluster && config.kafka) {
      new CfnOutput(this, 'KafkaClusterArn', {
        value: kafkaCluster.clusterArn,
        description: 'MSK Serverless (IAM auth on 9098): aws kafka get-bootstrap-brokers --cluster-arn <arn>',
      });
      new CfnOutput(this, 'KafkaTopic', {
        value: config.kafka.topic,
        description:
          'The topic the Kafka landing function reads; create it before producing (not made by this stack)',
      });
    }
  }

  /**
   * The ingest API's bearer token, generated by CloudFormation (40 letters and digits) and never in the
   * template. It lives here, not with the API in the stateless stack, because producers hold it: replacing
   * the stateless stack must not change it. Kept when the stack is deleted, unless the environment is a
   * throwaway one (`rawBucket.destroyOnRemoval`).
   */
  private createIngestTokenSecret(prefix: string, destroyOnRemoval: boolean): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'IngestToken', {
      description: `${prefix}: bearer token of the ingest API (Authorization: Bearer <SecretString>)`,
      generateSecretString: { passwordLength: 40, excludePunctuation: true, includeSpace: false },
      removalPolicy: destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    NagSuppressions.addResourceSuppressions(secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'A static bearer token shared with producers: rotating it is a coordinated change of every producer (put a new value, hand it out; the function picks it up within its 5-minute cache), not a Lambda rotation schedule.',
      },
    ]);
    return secret;
  }

  /**
   * Redshift Serverless, unless the target leaves it out: then a Data API endpoint outside the stack when
   * the target runs the ELT workflow (the emulator), else none (LocalStack).
   */
  private createWarehouse(config: EltConfig, prefix: string, rawBucket: RawBucket): EltWarehouse | undefined {
    if (leftOut(config.target, 'redshiftServerless')) {
      if (leftOut(config.target, 'eltWorkflow')) return undefined;
      return new DataApiEndpointWarehouse(this, 'Warehouse', {
        workgroupName: `${prefix}-warehouse`,
        databaseName: config.warehouse.databaseName,
        rawBucket: rawBucket.bucket,
      });
    }
    return new RedshiftServerlessWarehouse(this, 'Warehouse', {
      name: `${prefix}-warehouse`,
      rawBucket: rawBucket.bucket,
      baseCapacityRpu: config.warehouse.baseCapacityRpu,
      maxCapacityRpu: config.warehouse.maxCapacityRpu,
      databaseName: config.warehouse.databaseName,
      adminUsername: config.warehouse.adminUsername,
      availabilityZones: config.warehouse.availabilityZones,
      vpcCidr: config.warehouse.vpcCidr,
      logRetention: config.logs.retentionDays as logs.RetentionDays,
    });
  }

  /**
   * The AZs come from the config instead of a lookup, so the app synthesizes without AWS credentials
   * (a lookup would need them). They are AZ IDs by default (the same zones in every account, see
   * lib/infra/availability-zone-ids.ts); the warehouse VPC places its subnets by AvailabilityZoneId then.
   */
  override get availabilityZones(): string[] {
    return [...this.azs];
  }
}
