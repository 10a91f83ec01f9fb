import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  KAFKA_VARIANTS,
  logicalId,
  only,
  resourcesOf,
  synthesize,
  type SynthesizedApp,
} from '../../support/cdk-app.js';

let msk: SynthesizedApp;
beforeAll(() => {
  msk = synthesize(KAFKA_VARIANTS.msk);
});

describe('the optional Kafka landing path', () => {
  describe('MSK Serverless (stateful stack)', () => {
    it("creates the cluster with IAM access control in the warehouse VPC's isolated subnets", () => {
      const cluster = only(resourcesOf(msk.statefulTemplate, 'AWS::MSK::ServerlessCluster'));
      const workgroup = only(resourcesOf(msk.statefulTemplate, 'AWS::RedshiftServerless::Workgroup'));
      const sg = logicalId(msk.statefulTemplate, 'AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^MSK Serverless'),
      });
      expect(cluster.Properties).toEqual({
        ClusterName: 'elt-dev-kafka',
        ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
        VpcConfigs: [
          { SubnetIds: workgroup.Properties.SubnetIds, SecurityGroups: [{ 'Fn::GetAtt': [sg, 'GroupId'] }] },
        ],
        Tags: { environment: 'dev', project: 'serverless-elt' },
      });
      expect(JSON.stringify(workgroup.Properties.SubnetIds)).toMatch(/WarehouseVpcwarehouseSubnet/);
      expect(JSON.stringify(msk.statefulTemplate.toJSON())).not.toMatch(/AWS::MSK::Topic/);
    });

    it("lets Kafka traffic into the cluster's security group on 9098 from that group only", () => {
      const t = msk.statefulTemplate;
      const sg = logicalId(t, 'AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^MSK Serverless'),
      });
      const endpointSg = logicalId(t, 'AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^Lambda and STS interface endpoints'),
      });
      const group = (id: string) => ({ 'Fn::GetAtt': [id, 'GroupId'] });
      expect(resourcesOf(t, 'AWS::EC2::SecurityGroup')[sg]!.Properties.SecurityGroupIngress).toBeUndefined();
      const rules = (type: string, id: string) =>
        Object.values(resourcesOf(t, type))
          .map((r) => r.Properties)
          .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(group(id)))
          .map(({ Description: _d, ...rule }) => rule);
      expect(rules('AWS::EC2::SecurityGroupIngress', sg)).toEqual([
        {
          GroupId: group(sg),
          IpProtocol: 'tcp',
          FromPort: 9098,
          ToPort: 9098,
          SourceSecurityGroupId: group(sg),
        },
      ]);
      expect(rules('AWS::EC2::SecurityGroupEgress', sg)).toEqual(
        expect.arrayContaining([
          {
            GroupId: group(sg),
            IpProtocol: 'tcp',
            FromPort: 9098,
            ToPort: 9098,
            DestinationSecurityGroupId: group(sg),
          },
          {
            GroupId: group(sg),
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            DestinationSecurityGroupId: group(endpointSg),
          },
        ]),
      );
      // HTTPS out for the on-failure bucket, through the S3 gateway endpoint: the subnets have no other
      // route out (no NAT, no internet gateway).
      expect(
        resourcesOf(t, 'AWS::EC2::SecurityGroup')[sg]!.Properties.SecurityGroupEgress as unknown[],
      ).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ]);
      expect(rules('AWS::EC2::SecurityGroupEgress', sg)).toHaveLength(2);
      expect(JSON.stringify(t.toJSON())).not.toMatch(/NatGateway|InternetGateway/);
      t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.s3'])] }),
        VpcEndpointType: 'Gateway',
      });
      expect(rules('AWS::EC2::SecurityGroupIngress', endpointSg)).toEqual([
        {
          GroupId: group(endpointSg),
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          SourceSecurityGroupId: group(sg),
        },
      ]);
    });

    it('gives the mapping private Lambda and STS endpoints (the VPC has no route out)', () => {
      const t = msk.statefulTemplate;
      const endpointSg = logicalId(t, 'AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^Lambda and STS interface endpoints'),
      });
      for (const service of ['lambda', 'sts']) {
        t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
          ServiceName: `com.amazonaws.eu-west-1.${service}`,
          VpcEndpointType: 'Interface',
          PrivateDnsEnabled: true,
          SecurityGroupIds: [{ 'Fn::GetAtt': [endpointSg, 'GroupId'] }],
          SubnetIds: (
            only(resourcesOf(t, 'AWS::MSK::ServerlessCluster')).Properties.VpcConfigs as {
              SubnetIds: unknown;
            }[]
          )[0]!.SubnetIds,
        });
      }
    });

    it('outputs the cluster ARN and the topic', () => {
      const cluster = logicalId(msk.statefulTemplate, 'AWS::MSK::ServerlessCluster');
      msk.statefulTemplate.hasOutput('KafkaClusterArn', { Value: { 'Fn::GetAtt': [cluster, 'Arn'] } });
      msk.statefulTemplate.hasOutput('KafkaTopic', { Value: 'elt-events' });
    });
  });
});
