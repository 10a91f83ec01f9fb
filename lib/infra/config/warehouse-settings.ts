import { parseReaders, WarehouseReadersError } from '../../core/elt/readers.js';
import { CAPACITY_STEPS, type WarehouseConfig } from '../../core/deploy-config/settings.js';
import {
  AvailabilityZoneIdsError,
  AZ_ID_PATTERN,
  azIdPrefixMatches,
  DEFAULT_WAREHOUSE_AZ_IDS,
  defaultWarehouseAzIds,
  describeZonesCommand,
} from '../availability-zone-ids.js';
import { isValidBaseCapacity } from '../constructs/redshift-serverless-warehouse.js';
import type { CustomReader, Fail } from './settings-reader.js';

/**
 * The readers of the warehouse's `custom` settings: `readers` (checked by parseReaders, whose message names
 * the setting first) and `availabilityZones`.
 */
export function warehouseReaders(
  region: string,
  warehouseBuilt: boolean,
  fail: Fail,
): Record<string, CustomReader> {
  return {
    'warehouse.readers': (_path, value) => {
      try {
        return parseReaders(value);
      } catch (error) {
        if (!(error instanceof WarehouseReadersError)) throw error;
        // parseReaders names the setting first ("warehouse.readers.users[0] …"); keep that as the setting.
        const space = error.message.indexOf(' ');
        return fail(error.message.slice(0, space), error.message.slice(space + 1), { cause: error });
      }
    },
    'warehouse.availabilityZones': (path, value) =>
      parseAvailabilityZones(path, value, region, warehouseBuilt, fail),
  };
}

/** The rules between warehouse settings the declarations cannot say alone: capacity steps and order. */
export function checkWarehouse(wh: WarehouseConfig, fail: Fail): void {
  for (const key of ['baseCapacityRpu', 'maxCapacityRpu'] as const) {
    if (!isValidBaseCapacity(wh[key])) fail(`warehouse.${key}`, `must be ${CAPACITY_STEPS}, got ${wh[key]}`);
  }
  if (wh.maxCapacityRpu < wh.baseCapacityRpu) {
    fail(
      'warehouse.maxCapacityRpu',
      `must be at least warehouse.baseCapacityRpu (${wh.baseCapacityRpu}): the workgroup never runs below its base capacity, got ${wh.maxCapacityRpu}`,
    );
  }
  if (wh.costAlarmRpuHoursPerDay > 24 * wh.maxCapacityRpu) {
    fail(
      'warehouse.costAlarmRpuHoursPerDay',
      `can never be reached: the workgroup uses at most warehouse.maxCapacityRpu × 24 = ${24 * wh.maxCapacityRpu} RPU-hours a day, got ${wh.costAlarmRpuHoursPerDay}`,
    );
  }
}

/**
 * `warehouse.availabilityZones`: three different AZ IDs (`euw1-az1`) or AZ names (`eu-west-1a`) of `region`,
 * not mixed. Absent, the Region's default AZ IDs; for a target without a warehouse (LocalStack), none when
 * the Region has no default.
 */
function parseAvailabilityZones(
  setting: string,
  raw: unknown,
  region: string,
  warehouseBuilt: boolean,
  fail: Fail,
): readonly string[] {
  if (raw === undefined) {
    if (!warehouseBuilt) return DEFAULT_WAREHOUSE_AZ_IDS[region] ?? [];
    try {
      return defaultWarehouseAzIds(region);
    } catch (error) {
      if (error instanceof AvailabilityZoneIdsError) return fail(setting, error.message);
      throw error;
    }
  }
  const example = `AZ IDs such as ${DEFAULT_WAREHOUSE_AZ_IDS[region]?.[0] ?? 'use1-az1'} or names such as ${region}a`;
  if (!Array.isArray(raw) || raw.length !== 3 || !raw.every((z) => typeof z === 'string')) {
    return fail(
      setting,
      `must be three availability zones of ${region} (${example}), got ${JSON.stringify(raw)}`,
    );
  }
  const zones = raw as string[];
  if (new Set(zones).size !== 3)
    return fail(setting, `must be three different availability zones, got ${JSON.stringify(zones)}`);
  const ids = zones.filter((z) => AZ_ID_PATTERN.test(z));
  if (ids.length > 0 && ids.length < 3) {
    return fail(
      setting,
      `must be all AZ IDs or all AZ names, not both, got ${JSON.stringify(zones)} (${describeZonesCommand(region)} maps one to the other)`,
    );
  }
  zones.forEach((zone, i) => {
    if (ids.length === 3 && !azIdPrefixMatches(region, zone)) {
      fail(
        `${setting}[${i}]`,
        `"${zone}" is not an AZ ID of ${region} (list them with: ${describeZonesCommand(region)})`,
      );
    }
    if (ids.length === 0 && !new RegExp(`^${region}[a-z]$`).test(zone)) {
      fail(
        `${setting}[${i}]`,
        `"${zone}" is not an availability zone of ${region}: give ${example} (list them with: ${describeZonesCommand(region)})`,
      );
    }
  });
  return zones;
}
