import { describe, expect, it } from 'vitest';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import { Prng } from '../../../lib/core/generator/prng.js';
import {
  generateWorkload,
  INVALID_KINDS,
  type GeneratedEntry,
  type GeneratedItem,
} from '../../../lib/core/generator/workload.js';

const items = (events: number, seed: string | number = 7, extra = {}): GeneratedItem[] => [
  ...generateWorkload({ events, seed, ...extra }),
];
const entryOf = (item: GeneratedItem): GeneratedEntry =>
  ('value' in item.input ? item.input.value : undefined) as GeneratedEntry;

describe('Prng', () => {
  it('repeats for the same seed and differs for another', () => {
    const a = new Prng('s');
    const b = new Prng('s');
    const c = new Prng('t');
    const xs = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(xs);
    expect([c.next(), c.next(), c.next()]).not.toEqual(xs);
  });

  it('draws version-4 UUIDs', () => {
    const p = new Prng(1);
    for (let i = 0; i < 100; i++)
      expect(p.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('generateWorkload', () => {
  it('produces exactly the requested number of items', () => {
    expect(items(1234)).toHaveLength(1234);
  });

  it('is deterministic for a seed', () => {
    expect(JSON.stringify(items(2000, 42))).toBe(JSON.stringify(items(2000, 42)));
    expect(JSON.stringify(items(2000, 43))).not.toBe(JSON.stringify(items(2000, 42)));
  });

  it('produces events every schema accepts, with unique eventIds, for the valid items', () => {
    const validator = createEventValidator();
    const ids = new Set<string>();
    for (const item of items(5000).filter((i) => i.truth.kind === 'valid')) {
      const e = entryOf(item);
      const result = validator.validate({
        id: 'x',
        account: '1',
        region: 'r',
        resources: [],
        version: '0',
        ...e,
      });
      expect(result.ok, JSON.stringify(e)).toBe(true);
      ids.add(e.detail.eventId as string);
    }
    expect(ids.size).toBe(items(5000).filter((i) => i.truth.kind === 'valid').length);
  });

  it('republishes an earlier valid event unchanged as a duplicate', () => {
    const all = items(5000);
    const dups = all.filter((i) => i.truth.kind === 'duplicate');
    expect(dups.length).toBeGreaterThan(50);
    for (const d of dups) {
      const of = d.truth.kind === 'duplicate' ? d.truth.of : -1;
      expect(of).toBeLessThan(d.seq);
      expect(entryOf(d)).toEqual(entryOf(all[of]!));
      expect(all[of]!.truth.kind).toBe('valid');
    }
  });

  it('gives late events a time hours before the events published around them', () => {
    const all = items(5000);
    const late = all.filter((i) => i.truth.kind === 'valid' && i.truth.late);
    expect(late.length).toBeGreaterThan(50);
    for (const l of late.slice(0, 20)) {
      const next = all.slice(l.seq + 1).find((i) => i.truth.kind === 'valid' && !i.truth.late)!;
      expect(Date.parse(entryOf(next).time) - Date.parse(entryOf(l).time)).toBeGreaterThan(3_000_000);
    }
  });

  it('keeps the requested rates within a few tenths of a percent', () => {
    const all = items(20_000, 1, { duplicateRate: 0.05, invalidRate: 0.04 });
    const share = (kind: string) => all.filter((i) => i.truth.kind === kind).length / all.length;
    expect(share('duplicate')).toBeGreaterThan(0.04);
    expect(share('duplicate')).toBeLessThan(0.06);
    expect(share('invalid')).toBeGreaterThan(0.035);
    expect(share('invalid')).toBeLessThan(0.045);
  });

  it('produces every kind of invalid input in a large enough workload', () => {
    const kinds = new Set(
      items(60_000, 3).flatMap((i) => (i.truth.kind === 'invalid' ? [i.truth.invalidKind] : [])),
    );
    expect([...kinds].sort()).toEqual(Object.keys(INVALID_KINDS).sort());
  });

  it('spreads events over the simulated days in publication order', () => {
    const times = items(10_000, 5, { lateRate: 0 })
      .filter((i) => i.truth.kind === 'valid')
      .map((i) => Date.parse(entryOf(i).time));
    expect(new Date(times[0]!).toISOString().slice(0, 10)).toBe('2026-11-01');
    expect(new Date(times.at(-1)!).toISOString().slice(0, 10)).toMatch(/^2026-11-0[34]$/);
    const outOfOrder = times.filter((t, i) => i > 0 && t < times[i - 1]! - 3_600_000).length;
    expect(outOfOrder).toBe(0);
  });
});
