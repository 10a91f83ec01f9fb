import { describe, expect, it } from 'vitest';
import { CONSUME_LAND_TARGET, serialBound } from '../../bench/kafka-bench.js';

describe('bench: Kafka consume → land bound', () => {
  it('adds the per-record times of consuming alone and landing alone', () => {
    // 100,000 records/s consuming and 50,000 landing: 10 µs + 20 µs a record, 33,333 records/s.
    expect(serialBound(100_000, 50_000)).toBeCloseTo(100_000 / 3, 6);
    expect(serialBound(80_000, 80_000)).toBe(40_000);
    expect(CONSUME_LAND_TARGET).toBe(0.85);
  });
});
