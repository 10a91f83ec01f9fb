import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACTIONS_WITHOUT_RESOURCE_ARNS,
  clusterImport,
  failureBucketImport,
  KAFKA_MAPPING_EC2_ACTIONS,
  KAFKA_SECRET_ARN,
  KAFKA_VARIANTS,
  kafkaArn,
  kafkaFunctionId,
  kafkaMapping,
  kafkaStatements,
  logicalId,
  resourcesOf,
  statementsOnAnyResource,
  synthesize,
  type SynthesizedApp,
} from '../../support/cdk-app.js';

let msk: SynthesizedApp;
let mskProvisioned: SynthesizedApp;
let selfManaged: SynthesizedApp;
beforeAll(() => {
  msk = synthesize(KAFKA_VARIANTS.msk);
  mskProvisioned = synthesize(KAFKA_VARIANTS.mskProvisioned);
  selfManaged = synthesize(KAFKA_VARIANTS.selfManaged);
});

describe('the optional Kafka landing path', () => {
  describe('the Kafka landing function (stateless stack)', () => {
    it('runs land-kafka on nodejs22.x arm64 with its own log group, the raw bucket and the lateness bound', () => {
      for (const t of [msk.statelessTemplate, selfManaged.statelessTemplate]) {
        t.hasResourceProperties('AWS::Lambda::Function', {
          Description: 'Lands Kafka batches of bus events as gzip NDJSON in the raw bucket',
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          MemorySize: 1024,
          Timeout: 60,
          LoggingConfig: {
            LogFormat: 'JSON',
            LogGroup: { Ref: Match.stringLikeRegexp('^KafkaLandingFunctionLogs') },
          },
          Environment: {
            Variables: Match.objectLike({
              RAW_BUCKET: { 'Fn::ImportValue': Match.stringLikeRegexp('RawBucket') },
              POWERTOOLS_SERVICE_NAME: 'elt-landing-kafka',
              ELT_LATENESS_HOURS: '72',
              // The heap sized for a 1,024 MB function holding a whole Kafka batch (landing-heap.ts).
              NODE_OPTIONS: '--max-semi-space-size=64 --max-old-space-size=729',
            }),
          },
        });
        const fns = Object.values(resourcesOf(t, 'AWS::Lambda::Function'));
        expect(fns).toHaveLength(10);
        for (const f of fns)
          expect([f.Properties.Runtime, f.Properties.Architectures]).toEqual(['nodejs22.x', ['arm64']]);
      }
    });

    it('reads MSK on demand: topic, group, batching, start, failures to the bucket, no retry limit or bisection', () => {
      const t = msk.statelessTemplate;
      expect(kafkaMapping(t)).toEqual({
        FunctionName: { Ref: kafkaFunctionId(t) },
        EventSourceArn: clusterImport,
        Topics: ['elt-events'],
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'elt-dev-landing' },
        BatchSize: 10_000,
        MaximumBatchingWindowInSeconds: 30,
        StartingPosition: 'TRIM_HORIZON',
        DestinationConfig: { OnFailure: { Destination: failureBucketImport } },
      });
      const exported = Object.values(
        msk.statefulTemplate.toJSON().Outputs as Record<
          string,
          { Value: unknown; Export?: { Name: string } }
        >,
      ).find((o) => o.Export?.Name.includes('KafkaCluster'));
      expect(exported?.Value).toEqual({
        'Fn::GetAtt': [logicalId(msk.statefulTemplate, 'AWS::MSK::ServerlessCluster'), 'Arn'],
      });
    });

    it('in provisioned mode adds the pollers, the retry limit and bisection, and never partial batch responses', () => {
      const t = mskProvisioned.statelessTemplate;
      expect(kafkaMapping(t)).toEqual({
        FunctionName: { Ref: kafkaFunctionId(t) },
        EventSourceArn: clusterImport,
        Topics: ['elt-events'],
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'elt-landing-v2' },
        BatchSize: 500,
        MaximumBatchingWindowInSeconds: 10,
        StartingPosition: 'LATEST',
        DestinationConfig: { OnFailure: { Destination: failureBucketImport } },
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 5 },
        MaximumRetryAttempts: 2,
        BisectBatchOnFunctionError: true,
      });
    });

    it('reads a self-managed cluster with the secret and authentication method configured', () => {
      const t = selfManaged.statelessTemplate;
      expect(kafkaMapping(t)).toEqual({
        FunctionName: { Ref: kafkaFunctionId(t) },
        Topics: ['elt.events'],
        SelfManagedEventSource: {
          Endpoints: { KafkaBootstrapServers: ['b-1.kafka.example.com:9096', 'b-2.kafka.example.com:9096'] },
        },
        SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'elt-dev-landing' },
        SourceAccessConfigurations: [{ Type: 'SASL_SCRAM_256_AUTH', URI: KAFKA_SECRET_ARN }],
        BatchSize: 10_000,
        MaximumBatchingWindowInSeconds: 30,
        StartingPosition: 'TRIM_HORIZON',
        DestinationConfig: { OnFailure: { Destination: failureBucketImport } },
      });
    });

    it('with MSK: exactly the IAM-auth, cluster and ENI rights, each on its own ARN; "*" only for the EC2 actions', () => {
      const statements = kafkaStatements(msk.statelessTemplate);
      const kafka = statements.filter((st) => JSON.stringify(st.Action).match(/"(kafka|kafka-cluster|ec2):/));
      expect(kafka).toEqual([
        {
          Effect: 'Allow',
          Action: [
            'kafka-cluster:Connect',
            'kafka-cluster:DescribeClusterDynamicConfiguration',
            'kafka:DescribeClusterV2',
            'kafka:GetBootstrapBrokers',
          ],
          Resource: clusterImport,
        },
        {
          Effect: 'Allow',
          Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
          Resource: kafkaArn('topic/elt-dev-kafka/*/elt-events'),
        },
        {
          Effect: 'Allow',
          Action: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
          Resource: kafkaArn('group/elt-dev-kafka/*/elt-dev-landing'),
        },
        { Effect: 'Allow', Action: KAFKA_MAPPING_EC2_ACTIONS, Resource: '*' },
      ]);
      for (const st of statements)
        if (st.Resource === '*') expect(st.Action).toEqual(KAFKA_MAPPING_EC2_ACTIONS);
      // CDK's ManagedKafkaEventSource would attach AWSLambdaMSKExecutionRole (everything on "*"): not used.
      const role = logicalId(msk.statelessTemplate, 'AWS::IAM::Role', {
        Description: Match.stringLikeRegexp('^Lands Kafka batches'),
      });
      expect(
        resourcesOf(msk.statelessTemplate, 'AWS::IAM::Role')[role]!.Properties.ManagedPolicyArns,
      ).toBeUndefined();
    });

    it('the group ARN follows the configured consumer group', () => {
      const statements = kafkaStatements(mskProvisioned.statelessTemplate);
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
        Resource: kafkaArn('group/elt-dev-kafka/*/elt-landing-v2'),
      });
    });

    it('self-managed: reads only its secret, no MSK or EC2 rights', () => {
      const statements = kafkaStatements(selfManaged.statelessTemplate);
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Resource: KAFKA_SECRET_ARN,
      });
      expect(JSON.stringify(statements)).not.toMatch(/"(kafka|kafka-cluster|ec2):/);
      for (const st of statements) expect(st.Resource).not.toBe('*');
    });

    it('writes under raw/ and quarantine/, and only puts and lists in its failure bucket', () => {
      for (const t of [msk.statelessTemplate, selfManaged.statelessTemplate]) {
        const statements = kafkaStatements(t);
        const s3 = statements.filter((st) => JSON.stringify(st.Action).includes('s3:'));
        expect(s3).toHaveLength(2);
        expect(s3[0]!.Action).toBe('s3:PutObject');
        const resources = s3[0]!.Resource as unknown[];
        expect(resources).toHaveLength(3);
        expect(resources).toContainEqual({ 'Fn::Join': ['', [failureBucketImport, '/*']] });
        expect(JSON.stringify(resources)).toContain('RawBucket');
        expect(JSON.stringify(resources)).toContain('/raw/*');
        expect(JSON.stringify(resources)).toContain('/quarantine/*');
        expect(s3[1]).toEqual({ Effect: 'Allow', Action: 's3:ListBucket', Resource: failureBucketImport });
        expect(JSON.stringify(statements)).not.toMatch(/"(sqs|sns):/);
      }
    });

    it('has no IAM statement on Resource "*" anywhere except the EC2 actions the mapping needs', () => {
      const allowedOnStar = new Set([...KAFKA_MAPPING_EC2_ACTIONS, ...ACTIONS_WITHOUT_RESOURCE_ARNS]);
      for (const variant of [msk, mskProvisioned, selfManaged]) {
        for (const t of [variant.statefulTemplate, variant.statelessTemplate]) {
          for (const st of statementsOnAnyResource(t))
            for (const action of [st.Action].flat()) expect(allowedOnStar, action).toContain(action);
        }
      }
    });

    it('alarms on the offset lag and on any write to the failure bucket, to the alarm topic', () => {
      for (const [variant, threshold] of [
        [msk, 100_000],
        [mskProvisioned, 5000],
      ] as const) {
        const t = variant.statelessTemplate;
        const topic = logicalId(t, 'AWS::SNS::Topic');
        expect(Object.keys(resourcesOf(t, 'AWS::CloudWatch::Alarm'))).toHaveLength(11);
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: 'OffsetLag',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: kafkaFunctionId(t) } }],
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 1,
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: threshold,
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: topic }],
        });
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/S3',
          MetricName: 'PutRequests',
          Dimensions: [
            {
              Name: 'BucketName',
              Value: {
                'Fn::ImportValue': Match.stringLikeRegexp(
                  '^elt-dev-stateful:ExportsOutputRefKafkaFailuresBucket',
                ),
              },
            },
            { Name: 'FilterId', Value: 'EntireBucket' },
          ],
          Statistic: 'Sum',
          Period: 300,
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          AlarmActions: [{ Ref: topic }],
        });
      }
    });

    it('outputs the function name, and no failure queue any more', () => {
      const t = msk.statelessTemplate;
      t.hasOutput('KafkaLandingFunctionName', { Value: { Ref: kafkaFunctionId(t) } });
      expect(Object.keys(t.findOutputs('*'))).not.toContain('KafkaFailureQueueUrl');
      expect(Object.keys(resourcesOf(t, 'AWS::SQS::Queue'))).toEqual([]);
    });
  });
});
