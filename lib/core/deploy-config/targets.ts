/**
 * Where an environment's stacks go (`target` in cdk.json), and what each target leaves out of the `aws`
 * app, with the reason, in one place: the stacks ask {@link leftOut} before building a part, the config
 * parser refuses settings that need a part left out, and the README's table of local paths says the same.
 * Plain data: no CDK, no SDK.
 */

/** The deploy targets: AWS itself, LocalStack's community edition, and MiniStack (runs the functions). */
export const DEPLOY_TARGETS = ['aws', 'localstack', 'emulator'] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

/** A part of the app that a target may leave out. */
export type AppPart =
  | 'archive'
  | 'redshiftServerless'
  | 'eltWorkflow'
  | 'eventSourceMappings'
  | 'lambdaCustomResources'
  | 'ingestApi'
  | 'kafka';

const LOCALSTACK_NO_LAMBDA =
  "LocalStack's community edition runs Lambda code only in Docker containers, and this machine has none";

/** What each target leaves out of the `aws` app, and why. A part not listed is deployed. */
export const LEFT_OUT: Readonly<Record<DeployTarget, Readonly<Partial<Record<AppPart, string>>>>> = {
  aws: {},
  localstack: {
    redshiftServerless: 'LocalStack has no Redshift Serverless (run the ELT with `elt run --store s3://…`)',
    eltWorkflow: `the ELT steps are Lambda functions: ${LOCALSTACK_NO_LAMBDA}`,
    eventSourceMappings: `${LOCALSTACK_NO_LAMBDA}; \`elt land\` plays the SQS event source mapping with the deployed bundle`,
    lambdaCustomResources: LOCALSTACK_NO_LAMBDA,
    ingestApi:
      "LocalStack's free edition has no API Gateway HTTP APIs (run `elt serve --bus eventbridge:<bus>`)",
    kafka: 'LocalStack cannot run MSK or Lambda event source mappings without a paid plan and Docker',
  },
  emulator: {
    archive: 'MiniStack 1.5.33 has no CloudFormation support for AWS::Events::Archive',
    redshiftServerless:
      'MiniStack 1.5.33 has no CloudFormation support for AWS::RedshiftServerless::* (nor the VPC made for it): the ELT steps run against the Data API endpoint in `warehouse.dataApiEndpoint` (`elt dataapi` over PostgreSQL)',
    kafka:
      'MiniStack 1.5.33 has no MSK and no Kafka event source mappings (test the Kafka path against a local broker)',
  },
};

/** Why `target` leaves `part` out, or undefined when it deploys it. */
export function leftOut(target: DeployTarget, part: AppPart): string | undefined {
  return LEFT_OUT[target][part];
}
