import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ingestSettings } from '../../../lambdas/ingest/settings.js';
import { producerSources } from '../../core/events/catalogue.js';
import { EltFunction } from './elt-function.js';

/** The one route of the API. */
export const INGEST_ROUTE = { method: apigwv2.HttpMethod.POST, path: '/v1/events' } as const;

/** Props of {@link IngestApi}. */
export interface IngestApiProps {
  /** `elt-<env>`: names the API. */
  readonly namePrefix: string;
  /** The bus accepted events are published to. */
  readonly bus: events.IEventBus;
  /** The secret whose SecretString is the bearer token producers send. */
  readonly tokenSecret: secretsmanager.ISecret;
  /** Steady-state requests per second of the stage. */
  readonly throttleRatePerSecond: number;
  /** Requests the stage lets through at once above the rate. */
  readonly throttleBurst: number;
  /** Powertools service name of the function. */
  readonly serviceName: string;
  readonly metricsNamespace: string;
  /** Retention of the function's and the access logs. */
  readonly logRetention: logs.RetentionDays;
  /** How long an Idempotency-Key is remembered. @default 24 hours */
  readonly idempotencyTtl?: Duration;
}

/**
 * The AWS side of the ingest API (`elt serve` is the local one): an API Gateway HTTP API with one route,
 * `POST /v1/events`, throttled and access-logged on its default stage, integrated (payload format 2.0) with
 * the ingest function (`lambdas/ingest/`). The function checks the bearer token against the secret,
 * keeps Powertools idempotency records in a DynamoDB table of its own, and publishes to the bus; its role
 * may do exactly that: four item actions on the table, PutEvents on the bus for the producers' sources
 * only (the catalogue's, less the pipeline's own `elt.*`), GetSecretValue on the secret.
 *
 * The table holds only idempotency records (24 hours by default, expired by TTL), so it lives here with
 * the function and goes with the stack; the token secret is held by producers and lives in the stateful
 * stack, so redeploying this stack never changes the token.
 */
export class IngestApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly ingest: EltFunction;
  readonly idempotencyTable: dynamodb.Table;
  readonly accessLogs: logs.LogGroup;
  /** `https://<api-id>.execute-api.<region>.amazonaws.com/` (the route is `v1/events` under it). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const ttl = props.idempotencyTtl ?? Duration.hours(24);

    // Powertools' DynamoDBPersistenceLayer defaults: partition key `id`, expiry in `expiration` (epoch s).
    this.idempotencyTable = new dynamodb.Table(this, 'IdempotencyTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Records of the last day's requests only; losing them on a stack teardown only means a retry of an
      // old request is published again, with the same event ids (downstream deduplicates on eventId).
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.ingest = new EltFunction(this, 'Function', {
      handler: 'ingest/index',
      description:
        'Ingest API: checks the bearer token and Idempotency-Key, publishes POST /v1/events to the bus',
      serviceName: props.serviceName,
      metricsNamespace: props.metricsNamespace,
      logRetention: props.logRetention,
      memoryMb: 512,
      // Well under the HTTP API's 30 s integration timeout; the in-progress record expires with it.
      timeout: Duration.seconds(15),
      environment: ingestSettings.toEnvironment({
        busName: props.bus.eventBusName,
        tokenSecretArn: props.tokenSecret.secretArn,
        idempotencyTable: this.idempotencyTable.tableName,
        idempotencyTtlSeconds: ttl.toSeconds(),
      }),
    });
    const role = this.ingest.role;
    // Exactly the calls the function makes, each on its one resource (no index ARNs: the table has none).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.idempotencyTable.tableArn],
      }),
    );
    // Only the sources producers may publish, never the pipeline's own (elt.*): every entry of a PutEvents
    // call must carry one of them. The `events:source` condition key on PutEvents, as in AWS's example
    // "ForAllValues:StringEquals": https://docs.aws.amazon.com/eventbridge/latest/userguide/policy-keys-eventbridge.html
    // and https://docs.amazonaws.cn/en_us/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [props.bus.eventBusArn],
        conditions: { 'ForAllValues:StringEquals': { 'events:source': producerSources() } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.tokenSecret.secretArn],
      }),
    );

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: `${props.namePrefix}-ingest`,
      description: 'serverless-elt ingest API: POST /v1/events with a bearer token and an Idempotency-Key',
      createDefaultStage: false,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRatePerSecond, burstLimit: props.throttleBurst },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        // Who called what and how it went; never headers (the token) or bodies.
        format: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
          }),
        ),
      },
    });
    const routes = this.api.addRoutes({
      path: INGEST_ROUTE.path,
      methods: [INGEST_ROUTE.method],
      integration: new HttpLambdaIntegration('Ingest', this.ingest.function, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    this.url = this.stage.url;

    for (const route of routes) {
      NagSuppressions.addResourceSuppressions(route, [
        {
          id: 'AwsSolutions-APIG4',
          reason:
            'Authorized in the function, as the local API (elt serve) is: a bearer token compared in constant time (SHA-256 digests) with the Secrets Manager token before the key or body is read; a wrong or missing token gets 401.',
        },
      ]);
    }
  }
}
