import { App, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  logicalId,
  only,
  resourcesOf,
  synthesize,
  withEnvironment,
  type SynthesizedApp,
} from '../../support/cdk-app.js';
import {
  RedshiftServerlessWarehouse,
  type RedshiftServerlessWarehouseProps,
} from '../../../lib/infra/constructs/redshift-serverless-warehouse.js';

/** A warehouse in a fresh stack; `env` undefined makes the stack environment-agnostic (Region a token). */
function warehouse(
  props: Partial<RedshiftServerlessWarehouseProps>,
  env?: { account: string; region: string },
): RedshiftServerlessWarehouse {
  const stack = new Stack(new App(), 'Test', env ? { env } : {});
  return new RedshiftServerlessWarehouse(stack, 'Warehouse', {
    name: 'elt-test-warehouse',
    rawBucket: new s3.Bucket(stack, 'Raw'),
    baseCapacityRpu: 8,
    databaseName: 'analytics',
    adminUsername: 'elt_admin',
    availabilityZones: ['euw1-az1', 'euw1-az2', 'euw1-az3'],
    vpcCidr: '10.42.0.0/16',
    logRetention: logs.RetentionDays.ONE_WEEK,
    ...props,
  });
}
const EU = { account: '123456789012', region: 'eu-west-1' };

describe('RedshiftServerlessWarehouse refuses', () => {
  it('AZ IDs in a stack whose Region is not known at synthesis', () => {
    expect(() => warehouse({})).toThrow(
      'RedshiftServerlessWarehouse: AZ IDs need a stack with a known Region (env.region)',
    );
  });

  it('a mix of AZ IDs and AZ names', () => {
    expect(() => warehouse({ availabilityZones: ['euw1-az1', 'eu-west-1b', 'euw1-az3'] }, EU)).toThrow(
      'RedshiftServerlessWarehouse: availabilityZones must be all AZ IDs or all AZ names',
    );
  });

  it('the same zone twice', () => {
    expect(() => warehouse({ availabilityZones: ['euw1-az1', 'euw1-az1', 'euw1-az3'] }, EU)).toThrow(
      'RedshiftServerlessWarehouse: Redshift Serverless needs subnets in three different availability zones',
    );
  });

  it('a max capacity below the base capacity or off the capacity steps', () => {
    expect(() => warehouse({ maxCapacityRpu: 4 }, EU)).toThrow(
      'RedshiftServerlessWarehouse: maxCapacityRpu must be at least baseCapacityRpu (8)',
    );
    expect(() => warehouse({ maxCapacityRpu: 20 }, EU)).toThrow(
      'RedshiftServerlessWarehouse: maxCapacityRpu must be at least baseCapacityRpu',
    );
  });
});

let s: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
});

describe('stateful stack: Redshift Serverless', () => {
  it('has Redshift manage the admin password in Secrets Manager: no password in the template', () => {
    const ns = only(resourcesOf(s.statefulTemplate, 'AWS::RedshiftServerless::Namespace'));
    expect(ns.Properties).toMatchObject({
      ManageAdminPassword: true,
      AdminUsername: 'elt_admin',
      DbName: 'analytics',
    });
    expect(ns.Properties.AdminUserPassword).toBeUndefined();
  });

  it('runs the workgroup private, with enhanced VPC routing, base capacity from config, in three subnets', () => {
    const wg = only(resourcesOf(s.statefulTemplate, 'AWS::RedshiftServerless::Workgroup'));
    expect(wg.Properties).toMatchObject({
      BaseCapacity: 8,
      PubliclyAccessible: false,
      EnhancedVpcRouting: true,
    });
    expect(wg.Properties.SubnetIds).toHaveLength(3);
    expect(
      synthesize({ env: 'prod' }).statefulTemplate.findResources('AWS::RedshiftServerless::Workgroup', {
        Properties: { BaseCapacity: 32 },
      }),
    ).not.toEqual({});
  });

  it('caps the workgroup at maxCapacityRpu (4 × base by default, from config)', () => {
    const wg = only(resourcesOf(s.statefulTemplate, 'AWS::RedshiftServerless::Workgroup'));
    expect(wg.Properties).toMatchObject({ BaseCapacity: 8, MaxCapacity: 32 });
    const capped = synthesize(
      withEnvironment('dev', { warehouse: { baseCapacityRpu: 8, maxCapacityRpu: 16 } }),
    );
    expect(
      only(resourcesOf(capped.statefulTemplate, 'AWS::RedshiftServerless::Workgroup')).Properties.MaxCapacity,
    ).toBe(16);
  });

  it('places the three subnets by AvailabilityZoneId (the same zones in every account), never by AZ name', () => {
    const subnets = Object.values(resourcesOf(s.statefulTemplate, 'AWS::EC2::Subnet')).map(
      (r) => r.Properties,
    );
    expect(subnets.map((p) => p.AvailabilityZoneId)).toEqual(['euw1-az1', 'euw1-az2', 'euw1-az3']);
    for (const p of subnets) expect(p).not.toHaveProperty('AvailabilityZone');
    // Configured AZ names still give AvailabilityZone, as before.
    const named = synthesize(
      withEnvironment('dev', {
        warehouse: { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
      }),
    );
    const namedSubnets = Object.values(resourcesOf(named.statefulTemplate, 'AWS::EC2::Subnet')).map(
      (r) => r.Properties,
    );
    expect(namedSubnets.map((p) => p.AvailabilityZone)).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    for (const p of namedSubnets) expect(p).not.toHaveProperty('AvailabilityZoneId');
  });

  it('puts the VPC in isolated subnets with an S3 gateway endpoint and flow logs', () => {
    s.statefulTemplate.resourceCountIs('AWS::EC2::NatGateway', 0);
    s.statefulTemplate.resourceCountIs('AWS::EC2::InternetGateway', 0);
    s.statefulTemplate.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({}),
    });
    s.statefulTemplate.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
  });

  it('limits the COPY role to reading raw/ and manifests/', () => {
    const policies = Object.values(resourcesOf(s.statefulTemplate, 'AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('CopyRole'),
    );
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    expect(statements.map((st) => st.Action)).toEqual([
      's3:GetObject',
      's3:ListBucket',
      's3:GetBucketLocation',
    ]);
    const readable = JSON.stringify(statements[0]!.Resource);
    expect(readable).toContain('/raw/*');
    expect(readable).toContain('/manifests/*');
    expect(readable.match(/\/\*"/g)).toHaveLength(2);
    expect(statements[1]!.Condition).toEqual({ StringLike: { 's3:prefix': ['raw/*', 'manifests/*'] } });
  });

  it('grants the COPY role GetBucketLocation on the bucket without an s3:prefix condition (its requests carry none)', () => {
    const bucket = logicalId(s.statefulTemplate, 'AWS::S3::Bucket', {
      VersioningConfiguration: Match.anyValue(),
    });
    s.statefulTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^WarehouseCopyRole'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 's3:GetBucketLocation', Effect: 'Allow', Resource: { 'Fn::GetAtt': [bucket, 'Arn'] } },
        ]),
      },
    });
  });
});
