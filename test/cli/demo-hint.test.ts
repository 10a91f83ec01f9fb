import { describe, expect, it } from 'vitest';
import { queryHint } from '../../lib/cli/commands/demo.js';

const SQL = 'SELECT * FROM mart_signup_funnel ORDER BY signup_day';

describe('queryHint', () => {
  it('is the bare query on the defaults', () => {
    expect(queryHint({ dataDir: 'elt-data' }, SQL)).toBe(`npx elt query '${SQL}'`);
  });

  it('carries the warehouse and the data directory the demo ran with, so the query reads the same tables', () => {
    expect(queryHint({ dataDir: '/tmp/my data', warehouse: 'postgres://elt@127.0.0.1:55432/elt' }, SQL)).toBe(
      `npx elt query '${SQL}' --data-dir '/tmp/my data' --warehouse postgres://elt@127.0.0.1:55432/elt`,
    );
  });

  it('never prints a password: it leaves it to PGPASSWORD', () => {
    const hint = queryHint(
      { dataDir: 'elt-data', warehouse: 'postgres://elt:s3cret@db.example:5432/elt' },
      SQL,
    );
    expect(hint).not.toContain('s3cret');
    expect(hint).toBe(
      `npx elt query '${SQL}' --warehouse postgres://elt@db.example:5432/elt (with PGPASSWORD set to the password)`,
    );
  });
});
