import { describe, expect, it } from 'vitest';
import type { ObjectInfo, ObjectStore } from '../../lib/core/ports.js';
import { runLoad } from '../../lib/loadtest/load-driver.js';
import type { LoadTarget } from '../../lib/loadtest/load-target.js';
import { rampSteps } from '../../lib/loadtest/ramp-schedule.js';

/** A store whose listing always fails: the landed objects cannot be read. */
const unreadableStore: ObjectStore = {
  put: () => Promise.resolve(),
  get: () => Promise.reject(new Error('no such object')),
  // eslint-disable-next-line require-yield
  list: async function* (): AsyncIterable<ObjectInfo> {
    throw new Error('ListObjectsV2 refused: AccessDenied');
  },
  delete: () => Promise.resolve(),
  describe: () => 'unreadable store',
};

function targetOn(store: ObjectStore): LoadTarget {
  return {
    transport: 'local',
    entriesPerCall: 10,
    store,
    landedClock: 'observed',
    describe: () => 'a target whose landed objects cannot be read',
    eventIds: (events) => events.map((e) => e.eventId),
    offer: (events) => Promise.resolve(events.map((e) => ({ status: 'accepted', eventId: e.eventId }))),
    depth: () => Promise.resolve({ total: 0, parts: {} }),
    stopOffering: () => Promise.resolve(),
    timeline: () => [],
    facts: () => ({}),
    close: () => Promise.resolve(),
  };
}

describe('runLoad', () => {
  it('says once that the landed objects cannot be read while it runs, and fails with the last read', async () => {
    const warnings: string[] = [];
    const run = runLoad({
      target: targetOn(unreadableStore),
      steps: rampSteps({
        startRate: 20,
        step: { kind: 'add', by: 0 },
        stepSeconds: 1,
        maxRate: 20,
        maxSeconds: 1,
      }),
      maxEvents: 20,
      maxInFlight: 10,
      drainSeconds: 1,
      pollMs: 50,
      onWarning: (m) => warnings.push(m),
    });
    await expect(run).rejects.toThrow('ListObjectsV2 refused: AccessDenied');
    expect(warnings).toEqual([
      'reading the landed objects failed (retrying): ListObjectsV2 refused: AccessDenied',
    ]);
  });
});
