import { Token } from 'aws-cdk-lib';
import { EltError } from '../core/util/errors.js';

/**
 * Where the warehouse's three private subnets go by default, per Region, as AZ IDs.
 *
 * Why IDs, not names: an AZ name (`us-east-1a`) maps to a different physical zone in each account of the
 * older Regions, while an AZ ID (`use1-az1`) is the same zone everywhere; "An AZ ID consists of the first
 * three letters of the Region code, followed by the number at the end of the Region code, followed by -az,
 * followed by a number" (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html,
 * read 2026-12-02).
 *
 * Why these three: Redshift Serverless needs subnets in "at least three of the supported Availability Zone
 * IDs" but its guide does not list them (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-usage-considerations.html,
 * read 2026-12-02; no per-Region table in the stored copy). The IDs below are the first three of the
 * "Supported AZ IDs" AWS documents for MemoryDB, another service that places its nodes in the customer's
 * subnets (https://docs.aws.amazon.com/memorydb/latest/devguide/subnetgroups.html, read 2026-12-02). That
 * table leaves out the zones new services commonly lack (use1-az3, apne1-az3). It is the best documented
 * proxy found, not a Redshift guarantee: a deploy that Redshift refuses names the zones it accepts, and
 * `warehouse.availabilityZones` takes any three IDs.
 *
 * Left out on purpose: us-west-1 (Redshift Serverless wants three subnets over only two AZs there, one AZ
 * holding two, which the warehouse construct does not build: same page) and the China and GovCloud
 * partitions (not tried here).
 */
export const DEFAULT_WAREHOUSE_AZ_IDS: Readonly<Record<string, readonly [string, string, string]>> = {
  'us-east-1': ['use1-az1', 'use1-az2', 'use1-az4'],
  'us-east-2': ['use2-az1', 'use2-az2', 'use2-az3'],
  'us-west-2': ['usw2-az1', 'usw2-az2', 'usw2-az3'],
  'ca-central-1': ['cac1-az1', 'cac1-az2', 'cac1-az4'],
  'sa-east-1': ['sae1-az1', 'sae1-az2', 'sae1-az3'],
  'eu-west-1': ['euw1-az1', 'euw1-az2', 'euw1-az3'],
  'eu-west-2': ['euw2-az1', 'euw2-az2', 'euw2-az3'],
  'eu-west-3': ['euw3-az1', 'euw3-az2', 'euw3-az3'],
  'eu-central-1': ['euc1-az1', 'euc1-az2', 'euc1-az3'],
  'eu-north-1': ['eun1-az1', 'eun1-az2', 'eun1-az3'],
  'eu-south-1': ['eus1-az1', 'eus1-az2', 'eus1-az3'],
  'eu-south-2': ['eus2-az1', 'eus2-az2', 'eus2-az3'],
  'ap-east-1': ['ape1-az1', 'ape1-az2', 'ape1-az3'],
  'ap-south-1': ['aps1-az1', 'aps1-az2', 'aps1-az3'],
  'ap-northeast-1': ['apne1-az1', 'apne1-az2', 'apne1-az4'],
  'ap-northeast-2': ['apne2-az1', 'apne2-az2', 'apne2-az3'],
  'ap-southeast-1': ['apse1-az1', 'apse1-az2', 'apse1-az3'],
  'ap-southeast-2': ['apse2-az1', 'apse2-az2', 'apse2-az3'],
};

/** The shape of an AZ ID (`use1-az1`, `apne1-az4`). */
export const AZ_ID_PATTERN = /^[a-z]{2,5}[0-9]-az[0-9]+$/;

/** How to see which AZ IDs (and names) an account has in a Region. */
export function describeZonesCommand(region: string): string {
  return `aws ec2 describe-availability-zones --region ${region} --query 'AvailabilityZones[].[ZoneName,ZoneId]'`;
}

/** A Region whose default AZ IDs are not known, or a Region that is not known at synthesis. */
export class AvailabilityZoneIdsError extends EltError {}

/**
 * The default three AZ IDs of `region`. Fails for a Region that is a token (an environment-agnostic stack)
 * or that has no entry in {@link DEFAULT_WAREHOUSE_AZ_IDS}, telling how to choose three.
 */
export function defaultWarehouseAzIds(region: string): readonly [string, string, string] {
  if (Token.isUnresolved(region)) {
    throw new AvailabilityZoneIdsError(
      "the Region is not known at synthesis, so no default availability zones can be chosen: set warehouse.availabilityZones to three AZ IDs (aws ec2 describe-availability-zones --region <region> --query 'AvailabilityZones[].[ZoneName,ZoneId]' lists them)",
    );
  }
  const ids = DEFAULT_WAREHOUSE_AZ_IDS[region];
  if (!ids) {
    throw new AvailabilityZoneIdsError(
      `has no default for region ${region}: set it to three AZ IDs of ${region} where Redshift Serverless runs (list the Region's IDs with: ${describeZonesCommand(region)})`,
    );
  }
  return ids;
}

/**
 * What an AZ ID of `region` starts with and ends with before `-az`: the Region code's first part and its
 * number (`us-east-1` → `us…1`). The exact prefix is taken from the default table when the Region is in it
 * (`use1`); AWS's abbreviation of the middle part is not regular enough to derive (`apne1`, `cnw1`).
 */
export function azIdPrefixMatches(region: string, azId: string): boolean {
  const known = DEFAULT_WAREHOUSE_AZ_IDS[region];
  const prefix = azId.slice(0, azId.indexOf('-az'));
  if (known) return known[0].startsWith(`${prefix}-az`);
  const parts = region.split('-');
  const first = parts[0] ?? '';
  const number = parts[parts.length - 1] ?? '';
  return prefix.startsWith(first) && prefix.endsWith(number) && prefix.length > first.length + number.length;
}
