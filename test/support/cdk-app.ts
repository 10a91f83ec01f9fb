import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { buildApp, type EltStacks } from '../../lib/infra/app.js';
import { packageRoot } from '../../lib/package-paths.js';

/** The context of cdk.json, as `cdk synth` would pass it. */
export function cdkJsonContext(): Record<string, unknown> {
  const json = JSON.parse(readFileSync(join(packageRoot(), 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return json.context;
}

/** cdk-nag's AWS Solutions findings (errors and warnings) on a stack, as `<path>: <first line>`. */
export function nagFindings(stack: Stack): string[] {
  const annotations = Annotations.fromStack(stack);
  return [
    ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-')),
    ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-')),
  ].map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`);
}

/** The app and its templates. */
export interface SynthesizedApp extends EltStacks {
  readonly app: App;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
}

/**
 * Builds the app as `npx cdk synth -c account=123456789012 -c region=eu-west-1` would, with extra context.
 * Lambda bundling is skipped unless `bundle` is set: these tests look at templates, not code.
 */
export function synthesize(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): SynthesizedApp {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      account: '123456789012',
      region: 'eu-west-1',
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const stacks = buildApp(app);
  return {
    ...stacks,
    app,
    statefulTemplate: Template.fromStack(stacks.stateful),
    statelessTemplate: Template.fromStack(stacks.stateless),
  };
}

/**
 * Context that replaces one block of cdk.json's `elt:environments` with that block plus `patch` (keys of
 * `patch` win), for `synthesize(withEnvironment('dev', { kafka: … }))`: the other blocks stay as they are.
 */
export function withEnvironment(
  envName: string,
  patch: Record<string, unknown>,
): { 'elt:environments': Record<string, unknown> } {
  const environments = cdkJsonContext()['elt:environments'] as Record<string, Record<string, unknown>>;
  const block = environments[envName];
  if (!block) throw new Error(`withEnvironment: cdk.json has no environment "${envName}"`);
  return { 'elt:environments': { ...environments, [envName]: { ...block, ...patch } } };
}

/** A template's resources of one type, by logical id. */
export type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }
>;

/** The resources of one type in a template. */
export const resourcesOf = (template: Template, type: string): Resources =>
  template.findResources(type) as Resources;

/** The one value of a record; fails the test when there is not exactly one. */
export const only = <T>(record: Record<string, T>): T => {
  const values = Object.values(record);
  expect(values).toHaveLength(1);
  return values[0]!;
};

/** The logical id of the one resource of a type whose properties match. */
export const logicalId = (template: Template, type: string, props: Record<string, unknown> = {}): string => {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  expect(ids).toHaveLength(1);
  return ids[0]!;
};

/** An IAM policy statement as a template holds it. */
export type IamStatement = {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Condition?: unknown;
};

/**
 * Actions the pipeline may allow on Resource "*" because they have no resource ARNs: Data API follow-up
 * calls (limited by a statement-owner condition instead), X-Ray, and log delivery of the state machine.
 */
export const ACTIONS_WITHOUT_RESOURCE_ARNS = [
  'redshift-data:DescribeStatement',
  'redshift-data:GetStatementResult',
  'redshift-data:CancelStatement',
  'redshift-data:ListStatements',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

/** Every IAM policy statement of a template whose Resource is "*". */
export function statementsOnAnyResource(template: Template): IamStatement[] {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: IamStatement[] }).Statement)
    .filter((st) => st.Resource === '*');
}

/** The secret of the self-managed Kafka variant. */
export const KAFKA_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_elt-AbCdEf';

/** The EC2 actions Lambda's Kafka mapping needs on the execution role, sorted. */
export const KAFKA_MAPPING_EC2_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
];

/** The context of the optional Kafka landing path in its three shapes, on top of dev, for `synthesize`. */
export const KAFKA_VARIANTS = {
  msk: withEnvironment('dev', { kafka: { mode: 'msk-serverless', topic: 'elt-events' } }),
  mskProvisioned: withEnvironment('dev', {
    kafka: {
      mode: 'msk-serverless',
      topic: 'elt-events',
      consumerGroupId: 'elt-landing-v2',
      batchSize: 500,
      batchWindowSeconds: 10,
      startingPosition: 'LATEST',
      provisionedPollers: { minimum: 1, maximum: 5 },
      retryAttempts: 2,
      lagAlarmRecords: 5000,
    },
  }),
  selfManaged: withEnvironment('dev', {
    kafka: {
      mode: 'self-managed',
      topic: 'elt.events',
      bootstrapServers: ['b-1.kafka.example.com:9096', 'b-2.kafka.example.com:9096'],
      secretArn: KAFKA_SECRET_ARN,
      authenticationMethod: 'SASL_SCRAM_256_AUTH',
    },
  }),
};

/** The logical id of the Kafka landing function. */
export const kafkaFunctionId = (t: Template): string =>
  logicalId(t, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^Lands Kafka batches') });

/** The failure bucket's ARN as the stateless stack imports it from the stateful one. */
export const failureBucketImport = {
  'Fn::ImportValue': expect.stringMatching(
    /^elt-dev-stateful:ExportsOutputFnGetAttKafkaFailuresBucket[0-9A-F]{8}Arn/,
  ) as unknown,
};

/** The Kafka event source mapping's properties, without the tags every resource gets. */
export const kafkaMapping = (t: Template): Record<string, unknown> => {
  const esm = only(
    t.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { Topics: Match.anyValue() },
    }) as Resources,
  );
  const { Tags: _tags, ...props } = esm.Properties;
  return props;
};

/** The statements of the Kafka landing function's one policy. */
export const kafkaStatements = (t: Template): IamStatement[] => {
  const role = logicalId(t, 'AWS::IAM::Role', {
    Description: Match.stringLikeRegexp('^Lands Kafka batches'),
  });
  const policies = Object.values(resourcesOf(t, 'AWS::IAM::Policy')).filter(
    (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]),
  );
  expect(policies).toHaveLength(1);
  return (policies[0]!.Properties.PolicyDocument as { Statement: IamStatement[] }).Statement;
};

/** A Kafka ARN of the test account and Region, as the template joins it. */
export const kafkaArn = (resource: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kafka:eu-west-1:123456789012:${resource}`]],
});

/** The MSK cluster's ARN as the stateless stack imports it from the stateful one. */
export const clusterImport = {
  'Fn::ImportValue': expect.stringMatching(
    /^elt-dev-stateful:ExportsOutputFnGetAttKafkaCluster[0-9A-F]{8}Arn/,
  ),
};
