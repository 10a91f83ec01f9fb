import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { functionEnvironment } from '../../../lambdas/commons/settings.js';
import { packageRoot } from '../../package-paths.js';
import { ConstructPropsError } from '../construct-errors.js';

/** Props of {@link EltFunction}. */
export interface EltFunctionProps {
  /**
   * The entry module of the function, relative to `lambdas/` and without extension: a folder stands for
   * its `index.ts` (`land` is `lambdas/land/index.ts`), a file for itself (`elt/plan`, `land/kafka`). Its
   * export `handler` is the Lambda handler.
   */
  readonly handler: string;
  readonly description: string;
  /** Powertools service name (logs and metrics dimension). */
  readonly serviceName: string;
  /** Powertools metrics namespace. */
  readonly metricsNamespace: string;
  readonly logRetention: logs.RetentionDays;
  /** @default 512 */
  readonly memoryMb?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Run as this role instead of a new one of its own (for functions that must share an identity, such as
   * the ELT steps, which must all be the same Redshift database user). It is granted writing to this
   * function's log group.
   * @default a new role
   */
  readonly role?: iam.Role;
  /**
   * Runs in these subnets with these security groups. The role is not given the network interface
   * rights Lambda needs in a VPC: the caller grants them (CDK adds an AWS managed policy only to a role of
   * its own making).
   * @default not in a VPC
   */
  readonly vpc?: {
    readonly vpc: ec2.IVpc;
    readonly subnets: ec2.SubnetSelection;
    readonly securityGroups: readonly ec2.ISecurityGroup[];
  };
  /** @default unreserved */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The one way this project makes a Lambda function: Node.js 22 on arm64, bundled by the local esbuild
 * (never Docker) as ESM with source maps, structured JSON logs into a log group of its own with a
 * retention, and a role that starts with nothing but writing to that log group. Permissions come from
 * `bind…`/`grant…` helpers on the resources it uses.
 */
export class EltFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EltFunctionProps) {
    super(scope, id);
    if (!/^[a-z0-9-]+(\/[a-z0-9-]+)*$/.test(props.handler)) {
      throw new ConstructPropsError(
        `EltFunction: handler must be a module path under lambdas/ such as "land" or "elt/plan", got "${props.handler}"`,
      );
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });
    this.role =
      props.role ??
      new iam.Role(this, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: props.description,
      });
    this.logGroup.grantWrite(this.role);
    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'Writes to the log streams of its own log group, whose names Lambda chooses at run time.',
          appliesTo: [{ regex: '/^Resource::<.*LogsC?[0-9A-F]*\\.Arn>:\\*$/g' }],
        },
      ],
      true,
    );
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: entryOf(props.handler),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMb ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      depsLockFilePath: join(packageRoot(), 'package-lock.json'),
      projectRoot: packageRoot(),
      environment: { ...functionEnvironment(props), ...props.environment },
      ...(props.vpc
        ? {
            vpc: props.vpc.vpc,
            vpcSubnets: props.vpc.subnets,
            securityGroups: [...props.vpc.securityGroups],
          }
        : {}),
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // The AWS SDK is bundled too: the version is the one the tests ran against, not the runtime's.
        externalModules: [],
        // Some dependencies still call require(); give ESM output a require that works.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    NagSuppressions.addResourceSuppressions(this.function, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Pinned to nodejs22.x on purpose: the runtime the project targets and tests; upgrades are deliberate.',
      },
    ]);
  }
}

/** `lambdas/<handler>/index.ts` when `<handler>` is a folder of lambdas/, else `lambdas/<handler>.ts`. */
function entryOf(handler: string): string {
  const folderEntry = join(packageRoot(), 'lambdas', handler, 'index.ts');
  return existsSync(folderEntry) ? folderEntry : join(packageRoot(), 'lambdas', `${handler}.ts`);
}
