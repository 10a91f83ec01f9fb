import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { landingNodeArgs, landingNodeOptions } from '../../../lib/core/landing/landing-heap.js';

describe('landingNodeOptions', () => {
  it('gives semi-spaces of a sixteenth of the memory and the old space what the young generation and a tenth leave', () => {
    expect(landingNodeOptions(1024)).toBe('--max-semi-space-size=64 --max-old-space-size=729');
    expect(landingNodeOptions(128)).toBe('--max-semi-space-size=8 --max-old-space-size=91');
    // The semi-spaces stop growing at 128 MiB.
    expect(landingNodeOptions(10_240)).toBe('--max-semi-space-size=128 --max-old-space-size=8832');
  });

  it('never gives the heap more than the function has', () => {
    for (const memoryMb of [128, 256, 512, 1024, 1769, 3008, 10_240]) {
      const [semi, old] = [...landingNodeOptions(memoryMb).matchAll(/=(\d+)/g)].map((m) => Number(m[1]));
      expect(3 * semi! + old! + memoryMb / 10, `${memoryMb} MB`).toBeLessThanOrEqual(memoryMb);
    }
  });

  it('refuses a memory size Lambda does not have', () => {
    expect(() => landingNodeOptions(64)).toThrow(/at least 128, got 64/);
    expect(() => landingNodeOptions(1024.5)).toThrow(/integer/);
  });

  it('is flags this Node accepts in NODE_OPTIONS and as arguments, and they size the young generation', () => {
    const probe = "const v8=require('node:v8');console.log(v8.getHeapStatistics().heap_size_limit>>20)";
    const limitMb = (env: NodeJS.ProcessEnv, args: string[] = []): number =>
      Number(execFileSync(process.execPath, [...args, '-e', probe], { env, encoding: 'utf8' }).trim());
    const withOptions = limitMb({ ...process.env, NODE_OPTIONS: landingNodeOptions(1024) });
    const withArgs = limitMb({ ...process.env, NODE_OPTIONS: '' }, landingNodeArgs(1024));
    // V8's heap limit is the old space plus the young generation (three semi-spaces).
    expect(withOptions).toBe(729 + 3 * 64);
    expect(withArgs).toBe(withOptions);
  });
});
