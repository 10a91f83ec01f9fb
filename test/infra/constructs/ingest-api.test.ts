import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ELT_EVENT_SOURCE } from '../../../lib/core/events/catalogue.js';
import {
  logicalId,
  only,
  resourcesOf,
  synthesize,
  withEnvironment,
  type SynthesizedApp,
} from '../../support/cdk-app.js';

let s: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
});

describe('the ingest API (on by default for target aws)', () => {
  type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
  const propertiesOfOnly = (t: SynthesizedApp['statelessTemplate'], type: string) =>
    only(resourcesOf(t, type)).Properties;
  const ingestFunctionId = (t: SynthesizedApp['statelessTemplate']): string =>
    logicalId(t, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^Ingest API') });
  const ingestStatements = (t: SynthesizedApp['statelessTemplate']): Statement[] => {
    const fn = resourcesOf(t, 'AWS::Lambda::Function')[ingestFunctionId(t)]!;
    const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return Object.values(resourcesOf(t, 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  };
  const tableId = (t: SynthesizedApp['statelessTemplate']): string => logicalId(t, 'AWS::DynamoDB::Table');
  const secretImport = {
    'Fn::ImportValue': Match.stringLikeRegexp('^elt-dev-stateful:ExportsOutputRefIngestToken'),
  };
  let tuned: SynthesizedApp;
  let disabled: SynthesizedApp;
  beforeAll(() => {
    tuned = synthesize(
      withEnvironment('dev', { ingestApi: { throttleRatePerSecond: 50, throttleBurst: 75 } }),
    );
    disabled = synthesize(withEnvironment('dev', { ingestApi: { enabled: false } }));
  });

  it('is an HTTP API with one route, POST /v1/events, proxied to the ingest function with payload format 2.0', () => {
    const t = s.statelessTemplate;
    expect(propertiesOfOnly(t, 'AWS::ApiGatewayV2::Api')).toMatchObject({
      Name: 'elt-dev-ingest',
      ProtocolType: 'HTTP',
    });
    const api = logicalId(t, 'AWS::ApiGatewayV2::Api');
    const integration = logicalId(t, 'AWS::ApiGatewayV2::Integration');
    expect(propertiesOfOnly(t, 'AWS::ApiGatewayV2::Route')).toEqual({
      ApiId: { Ref: api },
      AuthorizationType: 'NONE',
      RouteKey: 'POST /v1/events',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integration }]] },
    });
    expect(propertiesOfOnly(t, 'AWS::ApiGatewayV2::Integration')).toEqual({
      ApiId: { Ref: api },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [ingestFunctionId(t), 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
    // Only this API may invoke the function, and only through its route.
    expect(propertiesOfOnly(t, 'AWS::Lambda::Permission')).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [ingestFunctionId(t), 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
      SourceArn: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':execute-api:eu-west-1:123456789012:',
            { Ref: api },
            '/*/*/v1/events',
          ],
        ],
      },
    });
  });

  it('throttles the default stage (100 rps, burst 200 by default; from config) and access-logs it without headers', () => {
    const stage = propertiesOfOnly(s.statelessTemplate, 'AWS::ApiGatewayV2::Stage');
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    expect(
      propertiesOfOnly(tuned.statelessTemplate, 'AWS::ApiGatewayV2::Stage').DefaultRouteSettings,
    ).toEqual({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 75,
    });
    const logs = stage.AccessLogSettings as {
      DestinationArn: { 'Fn::GetAtt': [string, string] };
      Format: string;
    };
    const group = resourcesOf(s.statelessTemplate, 'AWS::Logs::LogGroup')[
      logs.DestinationArn['Fn::GetAtt'][0]
    ];
    expect(group?.Properties.RetentionInDays).toBe(14);
    const format = JSON.parse(logs.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      ip: '$context.identity.sourceIp',
    });
    // Nothing a producer sends: no header (the token), no body.
    expect(logs.Format).not.toMatch(/header|body|authoriz/i);
  });

  it('keeps idempotency records in a table shaped for Powertools: key "id", TTL "expiration", on demand, PITR, AWS-managed encryption', () => {
    const table = resourcesOf(s.statelessTemplate, 'AWS::DynamoDB::Table')[tableId(s.statelessTemplate)]!;
    expect(table.Properties).toEqual({
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      Tags: [
        { Key: 'environment', Value: 'dev' },
        { Key: 'project', Value: 'serverless-elt' },
      ],
    });
    // Short-lived records: they go with the stateless stack (a lost one only lets an old retry republish,
    // with the same event ids).
    expect(table.DeletionPolicy).toBe('Delete');
  });

  it('gives the function exactly its four table actions, PutEvents on the bus and GetSecretValue on the token, no "*"', () => {
    const t = s.statelessTemplate;
    const fn = resourcesOf(t, 'AWS::Lambda::Function')[ingestFunctionId(t)]!;
    const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(ingestStatements(t)).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [tableId(t), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: expect.objectContaining({}),
        Condition: expect.objectContaining({}),
      },
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: expect.objectContaining({}) },
    ]);
    const [, , events, secret] = ingestStatements(t);
    expect(events!.Resource).toEqual({
      'Fn::ImportValue': expect.stringMatching(/^elt-dev-stateful:ExportsOutputFnGetAttEventBus\w+Arn\w+$/),
    });
    expect(secret!.Resource).toEqual({
      'Fn::ImportValue': expect.stringMatching(/^elt-dev-stateful:ExportsOutputRefIngestToken\w+$/),
    });
    expect(JSON.stringify(ingestStatements(t))).not.toContain('"*"');
    // The imports are the bus ARN and the secret the stateful stack exports.
    const outputs = s.statefulTemplate.toJSON().Outputs as Record<
      string,
      { Value: unknown; Export?: { Name: string } }
    >;
    const exported = (name: unknown) =>
      Object.values(outputs).find(
        (o) => o.Export?.Name === (name as { 'Fn::ImportValue': string })['Fn::ImportValue'],
      )?.Value;
    expect(exported(events!.Resource)).toEqual({
      'Fn::GetAtt': [logicalId(s.statefulTemplate, 'AWS::Events::EventBus'), 'Arn'],
    });
    expect(exported(secret!.Resource)).toEqual({
      Ref: logicalId(s.statefulTemplate, 'AWS::SecretsManager::Secret'),
    });
  });

  it("may put only the producers' sources on the bus, never the pipeline's own (events:source)", () => {
    const putEvents = ingestStatements(s.statelessTemplate).find((st) => st.Action === 'events:PutEvents');
    expect(putEvents!.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'events:source': ['marketplace.users', 'marketplace.web', 'marketplace.auctions'],
      },
    });
    expect(JSON.stringify(putEvents!.Condition)).not.toContain(ELT_EVENT_SOURCE);
  });

  it('runs the ingest function on nodejs22.x arm64 with the bus, token secret, table and TTL in its environment', () => {
    const t = s.statelessTemplate;
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Ingest API'),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 15,
      MemorySize: 512,
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'elt-ingest',
          POWERTOOLS_METRICS_NAMESPACE: 'ServerlessElt',
          NODE_OPTIONS: '--enable-source-maps',
          BUS_NAME: {
            'Fn::ImportValue': Match.stringLikeRegexp('^elt-dev-stateful:ExportsOutputRefEventBus'),
          },
          INGEST_TOKEN_SECRET_ARN: secretImport,
          IDEMPOTENCY_TABLE: { Ref: tableId(t) },
          IDEMPOTENCY_TTL_SECONDS: '86400',
        },
      },
    });
  });

  it('generates the token in the stateful stack (40 letters and digits, never in the template) and keeps it', () => {
    const secrets = resourcesOf(s.statefulTemplate, 'AWS::SecretsManager::Secret');
    const secret = only(secrets);
    expect(secret.Properties.GenerateSecretString).toEqual({
      PasswordLength: 40,
      ExcludePunctuation: true,
      IncludeSpace: false,
    });
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(secret.DeletionPolicy).toBe('Retain');
    const destroyed = synthesize({ destroyOnRemoval: 'true' });
    expect(only(resourcesOf(destroyed.statefulTemplate, 'AWS::SecretsManager::Secret')).DeletionPolicy).toBe(
      'Delete',
    );
  });

  it('outputs the API URL (stateless stack) and the token secret ARN (stateful stack)', () => {
    const t = s.statelessTemplate;
    t.hasOutput('IngestApiUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: logicalId(t, 'AWS::ApiGatewayV2::Api') },
            '.execute-api.eu-west-1.',
            { Ref: 'AWS::URLSuffix' },
            '/',
          ],
        ],
      },
    });
    // Where the secret is: an output of an imported value would be an export chain.
    s.statefulTemplate.hasOutput('IngestTokenSecretArn', {
      Value: { Ref: logicalId(s.statefulTemplate, 'AWS::SecretsManager::Secret') },
    });
    expect(t.toJSON().Outputs).not.toHaveProperty('IngestTokenSecretArn');
  });

  it('builds nothing of it with ingestApi.enabled false', () => {
    const stateless = JSON.stringify(disabled.statelessTemplate.toJSON());
    expect(stateless).not.toMatch(/AWS::ApiGatewayV2|AWS::DynamoDB::Table|IngestApiUrl|IngestTokenSecretArn/);
    disabled.statelessTemplate.resourceCountIs('AWS::Lambda::Function', 8);
    disabled.statefulTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  it('is absent on the local (LocalStack) environment, and refused there when enabled', () => {
    const local = synthesize({ env: 'local', account: '000000000000', region: 'us-east-1' });
    expect(local.config.ingestApi.enabled).toBe(false);
    const all = JSON.stringify([local.statefulTemplate.toJSON(), local.statelessTemplate.toJSON()]);
    expect(all).not.toMatch(
      /AWS::ApiGatewayV2|AWS::DynamoDB::Table|AWS::SecretsManager::Secret|IngestApiUrl/,
    );
    expect(() =>
      synthesize({
        ...withEnvironment('local', { ingestApi: { enabled: true } }),
        env: 'local',
        account: '000000000000',
        region: 'us-east-1',
      }),
    ).toThrow('ingestApi.enabled cannot be true with target "localstack"');
  });
});
