import { describe, expect, it } from 'vitest';
import { measureSmallFiles } from '../../bench/compaction-bench.js';

describe('bench: small files before and after compaction', () => {
  it('counts the objects, requests and sizes, per 1,000 landed events', async () => {
    const f = await measureSmallFiles('sqs', 500, 5000);
    expect(f.events).toBeGreaterThan(4500); // the workload's invalid lines are quarantined
    expect(f.batches).toBe(10);
    const per1000 = (n: number): number => (n * 1000) / f.events;
    // Landing: a PUT per object written, and a load reads each once.
    expect(f.landingPutsPer1000Events).toBeCloseTo(per1000(f.before.objects), 9);
    expect(f.before.getsPer1000Events).toBeCloseTo(per1000(f.before.objects), 9);
    expect(f.after.objects).toBeLessThan(f.before.objects);
    expect(f.after.meanObjectBytes).toBeGreaterThan(f.before.meanObjectBytes);
    // Compaction reads and deletes each original it merges, and writes what is left beyond the untouched ones.
    expect(f.compaction.getsPer1000Events).toBeCloseTo(f.compaction.deletesPer1000Events, 9);
    const merged = Math.round((f.compaction.getsPer1000Events * f.events) / 1000);
    const written = Math.round((f.compaction.putsPer1000Events * f.events) / 1000);
    expect(f.after.objects).toBe(f.before.objects - merged + written);
  }, 120_000);

  it("cuts the batches as the mapping does: 9,000 messages pass Lambda's 6 MiB payload, so two batches", async () => {
    const f = await measureSmallFiles('sqs', 10_000, 9000);
    expect(f.batches).toBe(2);
    expect(f.events).toBeGreaterThan(8000);
  }, 120_000);
});
