import { describe, expect, it } from 'vitest';
import {
  duckdbDialect,
  postgresDialect,
  redshiftDialect,
  SqlIdentifierError,
} from '../../../lib/core/elt/dialect.js';
import { parseReaders } from '../../../lib/core/elt/readers.js';
import { jsonTextWidth } from '../../../lib/core/events/text-width.js';
import {
  ModelDefinitionError,
  orderModels,
  parseModel,
  describeDataTest,
  renderDataTest,
  renderDataTestSample,
  renderModel,
} from '../../../lib/core/elt/models.js';
import { splitStatements } from '../../../lib/core/elt/sql-text.js';
import { loadModels } from '../../../lib/core/elt/sql-sources.js';

describe('parseModel', () => {
  it('reads description, tests and refs from a model file', () => {
    const m = parseModel(
      'mart_x',
      [
        '-- description: One row per day.',
        '-- description: Second line.',
        '-- test: unique day',
        '-- test: not_null day, users',
        "-- test: accepted_values kind a|b|it's",
        "select day, users, kind from {{ ref('stg_events') }} join {{ ref('other') }} using (day)",
      ].join('\n'),
    );
    expect(m.description).toBe('One row per day. Second line.');
    expect(m.dependsOn).toEqual(['stg_events', 'other']);
    expect(m.tests).toEqual([
      { kind: 'unique', column: 'day' },
      { kind: 'not_null', column: 'day' },
      { kind: 'not_null', column: 'users' },
      { kind: 'accepted_values', column: 'kind', values: ['a', 'b', "it's"] },
    ]);
  });

  it('rejects an unknown test kind', () => {
    expect(() => parseModel('m', '-- test: fresh day\nselect 1')).toThrow(ModelDefinitionError);
  });

  it('rejects a test column that is not a plain identifier', () => {
    expect(() => parseModel('m', '-- test: unique day; drop table x\nselect 1')).toThrow(SqlIdentifierError);
  });
});

describe('orderModels', () => {
  const m = (name: string, refs: string[]) =>
    parseModel(name, `select 1 ${refs.map((r) => `{{ ref('${r}') }}`).join(' ')}`);

  it('puts every model after the models it reads', () => {
    const ordered = orderModels([m('c', ['b']), m('a', []), m('b', ['a']), m('d', ['a', 'c'])]).map(
      (x) => x.name,
    );
    expect(ordered.indexOf('a')).toBeLessThan(ordered.indexOf('b'));
    expect(ordered.indexOf('b')).toBeLessThan(ordered.indexOf('c'));
    expect(ordered.indexOf('c')).toBeLessThan(ordered.indexOf('d'));
  });

  it('rejects a cycle, naming it', () => {
    expect(() => orderModels([m('a', ['b']), m('b', ['a'])])).toThrow('dependency cycle: a → b → a');
  });

  it('rejects a ref to a model that does not exist', () => {
    expect(() => orderModels([m('a', ['ghost'])])).toThrow("model a: ref('ghost') names no model");
  });
});

describe('renderModel', () => {
  it('expands refs, sources and JSON macros for DuckDB', () => {
    const model = parseModel(
      'stg',
      "-- description: x\nselect {{ json_text(event, 'detail.userId') }} as u, {{ json_bigint(event, 'detail.amountMinor') }} as a, {{ json_value(event, 'detail') }} as d from {{ source('raw_events') }};",
    );
    expect(renderModel(model, duckdbDialect, new Set(['stg']))).toBe(
      "select json_extract_string(event, '$.detail.userId') as u, TRY_CAST(json_extract_string(event, '$.detail.amountMinor') AS BIGINT) as a, json_extract(event, '$.detail') as d from raw_events",
    );
  });

  it('refuses JSON paths that could break out of the string literal', () => {
    const model = parseModel('m', "select {{ json_text(event, 'a.b') }}".replace('a.b', 'a.b c'));
    expect(() => renderModel(model, duckdbDialect, new Set())).toThrow(SqlIdentifierError);
  });

  it('refuses a source that is not a pipeline table', () => {
    const model = parseModel('m', "select * from {{ source('pg_catalog') }}");
    expect(() => renderModel(model, duckdbDialect, new Set())).toThrow(ModelDefinitionError);
  });

  it('refuses an unknown macro', () => {
    expect(() => renderModel(parseModel('m', "select {{ shell('ls') }}"), duckdbDialect, new Set())).toThrow(
      'unknown macro shell()',
    );
  });
});

describe('text widths on Redshift', () => {
  it('sizes text from the event catalogue instead of VARCHAR(65535)', () => {
    const model = parseModel(
      'stg',
      "select {{ json_text(event, 'detail.userId') }} as u, {{ json_text(event, 'detail.eventId') }} as e, {{ json_text(event, 'detail.currency') }} as c, {{ json_text(event, 'detail.runId') }} as r, {{ json_text(event, 'detail-type') }} as t from {{ source('raw_events') }}",
    );
    const sql = renderModel(model, redshiftDialect, new Set(['stg']));
    expect(sql).toBe(
      'select CAST(event."detail"."userId" AS VARCHAR(64)) as u, CAST(event."detail"."eventId" AS VARCHAR(36)) as e, CAST(event."detail"."currency" AS VARCHAR(3)) as c, CAST(event."detail"."runId" AS VARCHAR(68)) as r, CAST(event."detail-type" AS VARCHAR(256)) as t from raw_events',
    );
    for (const m of loadModels())
      expect(renderModel(m, redshiftDialect, new Set(loadModels().map((x) => x.name)))).not.toContain(
        '65535',
      );
  });

  it('refuses a field no schema bounds unless the model gives a width', () => {
    const unbounded = parseModel('m', "select {{ json_text(event, 'detail.executionArn') }}");
    expect(() => renderModel(unbounded, redshiftDialect, new Set())).toThrow(
      "json_text(event, 'detail.executionArn'): no event schema bounds detail.executionArn",
    );
    const given = parseModel('m', "select {{ json_text(event, 'detail.executionArn', 2048) }}");
    expect(renderModel(given, redshiftDialect, new Set())).toBe(
      'select CAST(event."detail"."executionArn" AS VARCHAR(2048))',
    );
    expect(() =>
      renderModel(
        parseModel('m', "select {{ json_text(event, 'detail.x', 70000) }}"),
        redshiftDialect,
        new Set(),
      ),
    ).toThrow('json_text() width must be 1 to 65535 bytes, got 70000');
  });

  it('counts characters of a free-text maxLength as up to 4 UTF-8 bytes each', () => {
    // PageViewed.path: maxLength 2048 characters.
    expect(jsonTextWidth(['detail', 'path'])).toBe(8192);
    expect(jsonTextWidth(['detail', 'nowhere'])).toBeUndefined();
  });
});

describe('grants to readers', () => {
  const tables = ['mart_a', 'mart_b'];
  it('renders one GRANT per reader, quoting IAM user names, by the warehouse kinds of grantee', () => {
    expect(redshiftDialect.grantSelect(tables, { kind: 'user', name: 'IAM:alice' })).toBe(
      'GRANT SELECT ON mart_a, mart_b TO "IAM:alice"',
    );
    expect(redshiftDialect.grantSelect(tables, { kind: 'group', name: 'analysts' })).toBe(
      'GRANT SELECT ON mart_a, mart_b TO GROUP "analysts"',
    );
    expect(redshiftDialect.grantSelect(tables, { kind: 'role', name: 'bi' })).toBe(
      'GRANT SELECT ON mart_a, mart_b TO ROLE "bi"',
    );
    expect(postgresDialect.grantSelect(tables, { kind: 'role', name: 'bi' })).toBe(
      'GRANT SELECT ON mart_a, mart_b TO "bi"',
    );
    expect(duckdbDialect.grantSelect(tables, { kind: 'user', name: 'x' })).toBeUndefined();
  });

  it('checks reader names from configuration', () => {
    expect(parseReaders({ users: ['IAM:alice', 'IAMR:bi-role', 'bob'], groups: ['analysts'] })).toEqual({
      users: ['IAM:alice', 'IAMR:bi-role', 'bob'],
      groups: ['analysts'],
    });
    expect(() => parseReaders({ users: ['bob"; DROP TABLE x; --'] })).toThrow(
      'warehouse.readers.users[0] "bob\\"; DROP TABLE x; --" is not a database user name',
    );
    expect(() => parseReaders({ groups: ['IAM:alice'] })).toThrow('is not a database group name');
    expect(() => parseReaders({ admins: ['x'] })).toThrow('warehouse.readers.admins is not a kind of reader');
    expect(() => parseReaders(['x'])).toThrow('warehouse.readers must be an object');
  });
});

describe('data tests', () => {
  it('renders each test as a query counting offending rows', () => {
    expect(renderDataTest('t', { kind: 'unique', column: 'c' }, duckdbDialect)).toBe(
      'SELECT COUNT(*) AS failures FROM (SELECT c FROM t WHERE c IS NOT NULL GROUP BY c HAVING COUNT(*) > 1) d',
    );
    expect(renderDataTest('t', { kind: 'not_null', column: 'c' }, duckdbDialect)).toBe(
      'SELECT COUNT(*) AS failures FROM t WHERE c IS NULL',
    );
    expect(
      renderDataTest('t', { kind: 'accepted_values', column: 'c', values: ['a', "b'c"] }, duckdbDialect),
    ).toBe("SELECT COUNT(*) AS failures FROM t WHERE c NOT IN ('a', 'b''c')");
  });
});

describe('freshness tests', () => {
  it('parses hours and renders a check against the dialect clock that passes on an empty table', () => {
    const m = parseModel('m', '-- test: freshness loaded_at 48h\nselect 1');
    expect(m.tests).toEqual([{ kind: 'freshness', column: 'loaded_at', hours: 48 }]);
    expect(renderDataTest('m', m.tests[0]!, postgresDialect)).toBe(
      "SELECT CASE WHEN COUNT(*) > 0 AND MAX(loaded_at) < (now() AT TIME ZONE 'UTC') - INTERVAL '48 hours' THEN 1 ELSE 0 END AS failures FROM m",
    );
  });

  it('rejects a freshness test without hours', () => {
    expect(() => parseModel('m', '-- test: freshness loaded_at soon\nselect 1')).toThrow(
      'freshness needs "<column> <hours>h"',
    );
  });
});

describe('accepted_values tests', () => {
  it('rejects values split by a space, which would have dropped every value after it', () => {
    expect(() => parseModel('m', '-- test: accepted_values status open|closed cancelled\nselect 1')).toThrow(
      'accepted_values needs "<column> <v1>|<v2>…", got "status open|closed cancelled"',
    );
    expect(() => parseModel('m', '-- test: accepted_values status\nselect 1')).toThrow(
      'accepted_values needs "<column> <v1>|<v2>…"',
    );
  });
});

describe('the repository models', () => {
  it('load, order and render without errors, staging first', () => {
    const models = orderModels(loadModels());
    expect(models[0]!.name).toMatch(/^stg_/);
    const names = models.map((m) => m.name);
    expect(names.indexOf('stg_oltp_rows')).toBeLessThan(names.indexOf('dim_users'));
    // A test reads its dimension: dim_users is built before dim_items, whose test reads it.
    expect(names.indexOf('dim_users')).toBeLessThan(names.indexOf('dim_items'));
    expect(models.map((m) => m.name)).toEqual(
      expect.arrayContaining([
        'dim_users',
        'dim_items',
        'mart_bids_by_category_day',
        'mart_revenue_by_seller_country',
        'mart_daily_active_users',
        'mart_logins_per_minute',
        'mart_signup_funnel',
        'mart_bids_per_item_hour',
      ]),
    );
    const known = new Set(models.map((m) => m.name));
    for (const m of models) expect(renderModel(m, duckdbDialect, known)).not.toMatch(/\{\{|\}\}/);
  });
});

describe('splitStatements', () => {
  it('drops comment lines and splits on semicolons at line ends', () => {
    expect(splitStatements('-- c\nselect 1;\n\nselect 2 -- trailing\n;\nselect 3')).toEqual([
      'select 1',
      'select 2 -- trailing',
      'select 3',
    ]);
  });
});

describe('relationships_as_of tests', () => {
  const model = parseModel(
    'fct',
    "-- test: relationships_as_of item_id placed_at dim.item_id\nselect 1 from {{ ref('x') }}",
  );

  it('parses the column, the time column and the dimension, which the model then depends on', () => {
    expect(model.tests).toEqual([
      { kind: 'relationships_as_of', column: 'item_id', at: 'placed_at', to: 'dim', field: 'item_id' },
    ]);
    expect([...model.dependsOn].sort()).toEqual(['dim', 'x']);
  });

  it('rejects a malformed declaration and names that are not identifiers', () => {
    expect(() => parseModel('m', '-- test: relationships_as_of a b\nselect 1')).toThrow(
      'relationships_as_of needs "<column> <timestamp column> <model>.<column>"',
    );
    expect(() => parseModel('m', "-- test: relationships_as_of a b c.d'\nselect 1")).toThrow(
      SqlIdentifierError,
    );
  });

  it('renders against the table of the dimension it names', () => {
    const sql = renderDataTest('fct__build', model.tests[0]!, duckdbDialect, (m) => `${m}__build`);
    expect(sql).toContain(
      'FROM fct__build f WHERE f.item_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM dim__build d',
    );
  });

  it('counts rows with no dimension version valid at their time, comparing by the second', async () => {
    const { DuckDbWarehouse } = await import('../../../lib/adapters/warehouse/duckdb-warehouse.js');
    const w = await DuckDbWarehouse.open(':memory:');
    try {
      const failures = async () =>
        Number((await w.query(renderDataTest('fct', model.tests[0]!, duckdbDialect)))[0]!.failures);
      await w.execute('CREATE TABLE dim (item_id VARCHAR, valid_from TIMESTAMP, valid_to TIMESTAMP)');
      await w.execute('CREATE TABLE fct (item_id VARCHAR, placed_at TIMESTAMP)');
      // i1: listed at 10:00:00.400, changed at 10:00:05.700; i2 never listed.
      await w.execute(`INSERT INTO dim VALUES
        ('i1', TIMESTAMP '2026-12-03 10:00:00.400', TIMESTAMP '2026-12-03 10:00:05.700'),
        ('i1', TIMESTAMP '2026-12-03 10:00:05.700', NULL)`);
      // In the listing's own second (an event time has no fraction), later, and a NULL key: all fine.
      await w.execute(`INSERT INTO fct VALUES
        ('i1', TIMESTAMP '2026-12-03 10:00:00'), ('i1', TIMESTAMP '2026-12-03 10:00:05'),
        ('i1', TIMESTAMP '2026-12-04 00:00:00'), (NULL, TIMESTAMP '2026-12-03 09:00:00')`);
      expect(await failures()).toBe(0);
      // Before the listing's second, and an item the dimension never had.
      await w.execute(`INSERT INTO fct VALUES
        ('i1', TIMESTAMP '2026-12-03 09:59:59'), ('i2', TIMESTAMP '2026-12-03 10:00:00')`);
      expect(await failures()).toBe(2);
    } finally {
      await w.close();
    }
  });
});

describe('reconciles tests', () => {
  const model = parseModel(
    'fct',
    "-- test: reconciles bid_id placed_at ev amount_minor, currency\nselect 1 from {{ ref('x') }}",
  );
  const test = model.tests[0]!;

  it('parses the key, the time column, the other model and the compared columns; the model depends on it', () => {
    expect(model.tests).toEqual([
      {
        kind: 'reconciles',
        column: 'bid_id',
        at: 'placed_at',
        with: 'ev',
        compare: ['amount_minor', 'currency'],
      },
    ]);
    expect([...model.dependsOn].sort()).toEqual(['ev', 'x']);
    expect(describeDataTest('fct', test)).toBe(
      'reconciles(fct.bid_id ↔ ev.bid_id on amount_minor, currency up to the common placed_at)',
    );
  });

  it('rejects a malformed declaration and names that are not identifiers', () => {
    expect(() => parseModel('m', '-- test: reconciles a b c\nselect 1')).toThrow(
      'reconciles needs "<key column> <timestamp column> <model> <column>[,<column>…]"',
    );
    expect(() => parseModel('m', "-- test: reconciles a b c d'\nselect 1")).toThrow(SqlIdentifierError);
    expect(() => renderDataTest('fct', test, duckdbDialect, undefined, { latenessHours: -1 })).toThrow(
      'lateness must be whole hours',
    );
  });

  it('compares up to the common watermark less the lateness, and names the keys that differ', async () => {
    const { DuckDbWarehouse } = await import('../../../lib/adapters/warehouse/duckdb-warehouse.js');
    const w = await DuckDbWarehouse.open(':memory:');
    try {
      const failures = async (latenessHours = 0) =>
        Number(
          (await w.query(renderDataTest('fct', test, duckdbDialect, undefined, { latenessHours })))[0]!
            .failures,
        );
      const named = async () =>
        (await w.query(renderDataTestSample('fct', test)!)).map(
          (r) => `${String(r.k)}: ${String(r.difference)}`,
        );
      await w.execute(
        'CREATE TABLE fct (bid_id VARCHAR, placed_at TIMESTAMP, amount_minor BIGINT, currency VARCHAR)',
      );
      await w.execute(
        'CREATE TABLE ev (bid_id VARCHAR, placed_at TIMESTAMP, amount_minor BIGINT, currency VARCHAR)',
      );
      // Either side empty: nothing to compare yet.
      await w.execute(`INSERT INTO fct VALUES ('b1', TIMESTAMP '2026-12-03 10:00:00.700', 100, 'EUR')`);
      expect(await failures()).toBe(0);
      // The event has whole seconds; the database's row a fraction: the same second, equal.
      await w.execute(`INSERT INTO ev VALUES ('b1', TIMESTAMP '2026-12-03 10:00:00', 100, 'EUR')`);
      expect(await failures()).toBe(0);
      // The database is ahead (b2, b3 not yet relayed): beyond the events' newest, not a difference.
      await w.execute(`INSERT INTO fct VALUES ('b2', TIMESTAMP '2026-12-03 10:00:05', 200, 'EUR'),
        ('b3', TIMESTAMP '2026-12-03 11:00:05', 300, 'EUR')`);
      expect(await failures()).toBe(0);
      // An event arrives at 12:00: now b2 and b3 are missing from the events, and b4 only in the events.
      await w.execute(`INSERT INTO ev VALUES ('b4', TIMESTAMP '2026-12-03 12:00:00', 400, 'EUR')`);
      await w.execute(`INSERT INTO fct VALUES ('b5', TIMESTAMP '2026-12-03 12:30:00', 500, 'EUR')`);
      expect(await failures()).toBe(3);
      expect(await named()).toEqual(['b2: missing from ev', 'b3: missing from ev', 'b4: only in ev']);
      // With an hour of lateness the watermark is 11:00:00: only b2 is compared and missing.
      expect(await failures(1)).toBe(1);
      // The same key with another amount or a NULL on one side.
      await w.execute(`INSERT INTO ev VALUES ('b2', TIMESTAMP '2026-12-03 10:00:05', 201, 'EUR'),
        ('b3', TIMESTAMP '2026-12-03 11:00:05', 300, NULL), ('b5', TIMESTAMP '2026-12-03 12:30:00', 500, 'EUR')`);
      await w.execute(`INSERT INTO fct VALUES ('b4', TIMESTAMP '2026-12-03 12:00:00.2', 400, 'EUR')`);
      expect(await named()).toEqual(['b2: amount_minor differs', 'b3: currency differs']);
    } finally {
      await w.close();
    }
  });
});

describe('freshness on a real warehouse (DuckDB)', () => {
  it('fails only when rows exist and the newest is older than the limit', async () => {
    const { DuckDbWarehouse } = await import('../../../lib/adapters/warehouse/duckdb-warehouse.js');
    const w = await DuckDbWarehouse.open(':memory:');
    try {
      const test = { kind: 'freshness', column: 'loaded_at', hours: 24 } as const;
      const failures = async () =>
        Number((await w.query(renderDataTest('t', test, duckdbDialect)))[0]!.failures);
      await w.execute('CREATE TABLE t (loaded_at TIMESTAMP)');
      expect(await failures()).toBe(0);
      await w.execute("INSERT INTO t VALUES (CAST(now() AS TIMESTAMP) - INTERVAL '30 hours')");
      expect(await failures()).toBe(1);
      await w.execute("INSERT INTO t VALUES (CAST(now() AS TIMESTAMP) - INTERVAL '1 hours')");
      expect(await failures()).toBe(0);
    } finally {
      await w.close();
    }
  });
});
