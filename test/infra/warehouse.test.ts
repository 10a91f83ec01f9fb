import { App, Stack, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import {
  AvailabilityZoneIdsError,
  AZ_ID_PATTERN,
  azIdPrefixMatches,
  DEFAULT_WAREHOUSE_AZ_IDS,
  defaultWarehouseAzIds,
} from '../../lib/infra/availability-zone-ids.js';
import { Warehouse, type WarehouseProps } from '../../lib/infra/constructs/warehouse.js';

/** A warehouse in a fresh stack; `env` undefined makes the stack environment-agnostic (Region a token). */
function warehouse(props: Partial<WarehouseProps>, env?: { account: string; region: string }): Warehouse {
  const stack = new Stack(new App(), 'Test', env ? { env } : {});
  return new Warehouse(stack, 'Warehouse', {
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

describe('Warehouse refuses', () => {
  it('AZ IDs in a stack whose Region is not known at synthesis', () => {
    expect(() => warehouse({})).toThrow('Warehouse: AZ IDs need a stack with a known Region (env.region)');
  });

  it('a mix of AZ IDs and AZ names', () => {
    expect(() => warehouse({ availabilityZones: ['euw1-az1', 'eu-west-1b', 'euw1-az3'] }, EU)).toThrow(
      'Warehouse: availabilityZones must be all AZ IDs or all AZ names',
    );
  });

  it('the same zone twice', () => {
    expect(() => warehouse({ availabilityZones: ['euw1-az1', 'euw1-az1', 'euw1-az3'] }, EU)).toThrow(
      'Warehouse: Redshift Serverless needs subnets in three different availability zones',
    );
  });

  it('a max capacity below the base capacity or off the capacity steps', () => {
    expect(() => warehouse({ maxCapacityRpu: 4 }, EU)).toThrow(
      'Warehouse: maxCapacityRpu must be at least baseCapacityRpu (8)',
    );
    expect(() => warehouse({ maxCapacityRpu: 20 }, EU)).toThrow(
      'Warehouse: maxCapacityRpu must be at least baseCapacityRpu',
    );
  });
});

describe('defaultWarehouseAzIds', () => {
  it('refuses a Region that is a token, telling to set three AZ IDs and how to list them', () => {
    expect(() => defaultWarehouseAzIds(Token.asString({ Ref: 'AWS::Region' }))).toThrow(
      AvailabilityZoneIdsError,
    );
    expect(() => defaultWarehouseAzIds(new Stack(new App(), 'Agnostic').region)).toThrow(
      "the Region is not known at synthesis, so no default availability zones can be chosen: set warehouse.availabilityZones to three AZ IDs (aws ec2 describe-availability-zones --region <region> --query 'AvailabilityZones[].[ZoneName,ZoneId]' lists them)",
    );
  });

  it('gives three distinct IDs of the Region for every Region of the table', () => {
    for (const [region, ids] of Object.entries(DEFAULT_WAREHOUSE_AZ_IDS)) {
      expect(defaultWarehouseAzIds(region)).toBe(ids);
      expect(new Set(ids).size, region).toBe(3);
      for (const id of ids) {
        expect(id, region).toMatch(AZ_ID_PATTERN);
        expect(azIdPrefixMatches(region, id), `${region} ${id}`).toBe(true);
        // The looser check used outside the table (first part and number of the Region) agrees too.
        const prefix = id.slice(0, id.indexOf('-az'));
        expect(
          prefix.startsWith(region.split('-')[0]!) && prefix.endsWith(region.split('-').at(-1)!),
          id,
        ).toBe(true);
      }
    }
  });
});
