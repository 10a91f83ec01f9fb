import { readerList, type WarehouseReaders } from '../core/elt/readers.js';

/**
 * Names of the environment variables the stacks set for the ELT and landing functions, written once here
 * for every construct that sets them. The handlers read the same names.
 */
export const FUNCTION_ENV = {
  /** Hours (integer) an event may land late and still be filed under its own event-time partition. */
  latenessHours: 'ELT_LATENESS_HOURS',
  /** Most raw objects one ELT run plans (integer). */
  maxObjectsPerRun: 'ELT_MAX_OBJECTS_PER_RUN',
  /** JSON `{ "users": [], "groups": [], "roles": [] }` granted SELECT on the models; unset when none. */
  readers: 'ELT_READERS',
} as const;

/** The lateness setting, for the landing functions and the ELT steps alike. */
export function latenessEnvironment(latenessHours: number): Record<string, string> {
  return { [FUNCTION_ENV.latenessHours]: String(latenessHours) };
}

/** What the ELT steps read besides their warehouse and bucket. */
export interface EltRunSettings {
  readonly readers: WarehouseReaders;
  readonly latenessHours: number;
  readonly maxObjectsPerRun: number;
}

/** The ELT steps' run settings as environment variables; `ELT_READERS` is left out when there are none. */
export function eltRunEnvironment(settings: EltRunSettings): Record<string, string> {
  return {
    ...latenessEnvironment(settings.latenessHours),
    [FUNCTION_ENV.maxObjectsPerRun]: String(settings.maxObjectsPerRun),
    ...(readerList(settings.readers).length > 0
      ? { [FUNCTION_ENV.readers]: JSON.stringify(settings.readers) }
      : {}),
  };
}
