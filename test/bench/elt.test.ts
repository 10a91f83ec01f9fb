import { describe, expect, it } from 'vitest';
import { martDifferences } from '../../bench/elt-bench.js';
import { phasesFromProgress } from '../../bench/elt.js';

describe('phasesFromProgress', () => {
  it('splits a run at the last message of each step', () => {
    // Prepare: a run opened at 100, planned at 150, two load chunks, two models, the tests, closed at 1000.
    const marks = [
      { at: 150, message: 'plan: 3 new object(s) of 3 landed' },
      { at: 300, message: 'load: 2/3 objects, 20 events' },
      { at: 400, message: 'load: 3/3 objects, 30 events' },
      { at: 600, message: 'model: stg_events (30 rows)' },
      { at: 700, message: 'model: mart_daily_active_users (1 rows)' },
      { at: 900, message: 'tests: 4 passed' },
    ];

    // Act
    const phases = phasesFromProgress(marks, 100, 1000);

    // Assess
    expect(phases).toEqual({ plan: 50, load: 250, transform: 300, test: 200, publish: 100 });
  });

  it('counts no load time when nothing was loaded', () => {
    const marks = [
      { at: 10, message: 'plan: 0 new object(s) of 0 landed' },
      { at: 30, message: 'model: stg_events (0 rows)' },
      { at: 40, message: 'tests: 1 passed' },
    ];

    expect(phasesFromProgress(marks, 0, 50)).toMatchObject({ plan: 10, load: 0, transform: 20 });
  });

  it('fails, naming what it got, when a step reported nothing', () => {
    expect(() => phasesFromProgress([{ at: 1, message: 'plan: 0 new object(s)' }], 0, 2)).toThrow(
      /lacks a plan:, model: or tests: message \(got "plan:"\)/,
    );
  });
});

describe('martDifferences', () => {
  it('is empty when every table has the same rows', () => {
    const rows = { mart_a: [{ day: '2026-11-01', users: 3 }], mart_b: [] };

    expect(martDifferences(rows, structuredClone(rows), ['duckdb', 'postgres'])).toEqual([]);
  });

  it('names the table, the counts and the first differing row', () => {
    const a = {
      mart_a: [
        { day: '2026-11-01', users: 3 },
        { day: '2026-11-02', users: 4 },
      ],
    };
    const b = {
      mart_a: [
        { day: '2026-11-01', users: 3 },
        { day: '2026-11-02', users: 5 },
      ],
    };

    expect(martDifferences(a, b, ['duckdb', 'postgres'])).toEqual([
      'mart_a: 2 rows on duckdb, 2 on postgres; first difference at row 2: {"day":"2026-11-02","users":4} vs {"day":"2026-11-02","users":5}',
    ]);
  });

  it('reports a table that has extra rows on one side', () => {
    const a = { mart_a: [{ n: 1 }] };
    const b = { mart_a: [{ n: 1 }, { n: 2 }] };

    expect(martDifferences(a, b, ['x', 'y'])).toEqual([
      'mart_a: 1 rows on x, 2 on y; first difference at row 2: null vs {"n":2}',
    ]);
  });
});
