import { App, Stack, Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  AvailabilityZoneIdsError,
  AZ_ID_PATTERN,
  azIdPrefixMatches,
  DEFAULT_WAREHOUSE_AZ_IDS,
  defaultWarehouseAzIds,
} from '../../lib/infra/availability-zone-ids.js';

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
