import { describe, expect, it } from 'vitest';
import { bindNamed, loadStages } from '../../../lib/core/elt/sql-text.js';
import {
  inlineValues,
  parseObjectKey,
  parseRoleArn,
  parseRunId,
  s3Url,
  sqlLiteral,
  sqlTimestamp,
  SqlValueError,
} from '../../../lib/core/elt/sql-values.js';
import { newRunId } from '../../../lib/core/elt/elt-steps.js';

describe('SQL values by kind', () => {
  it('accepts the run ids the ELT makes and refuses any that could leave a literal', () => {
    expect(parseRunId(newRunId(new Date('2026-11-25T12:00:00Z')))).toMatch(
      /^run-20261125T120000Z-[0-9a-f]{6}$/,
    );
    for (const bad of ["run-'x", 'run-a b', 'drop table', `run-${'x'.repeat(65)}`]) {
      expect(() => parseRunId(bad)).toThrow(SqlValueError);
    }
  });

  it('refuses object keys with unsafe segments and role ARNs that are not IAM roles', () => {
    expect(parseObjectKey('raw/dt=2026-11-01/part-1.ndjson.gz')).toBe('raw/dt=2026-11-01/part-1.ndjson.gz');
    expect(() => parseObjectKey("raw/it's.gz")).toThrow('not a safe object key');
    expect(() => parseObjectKey('raw/../secret')).toThrow(SqlValueError);
    expect(parseRoleArn('arn:aws:iam::123456789012:role/elt-copy')).toBe(
      'arn:aws:iam::123456789012:role/elt-copy',
    );
    expect(() => parseRoleArn("arn:aws:iam::123456789012:role/x' IAM_ROLE 'y")).toThrow(
      'not an IAM role ARN',
    );
    expect(() => s3Url('Bad_Bucket', 'raw/a.gz')).toThrow('not an S3 bucket name');
  });

  it('quotes text with its quotes doubled and writes only finite numbers', () => {
    expect(sqlLiteral("it's")).toBe("'it''s'");
    expect(sqlLiteral(sqlTimestamp(new Date('2026-11-25T10:00:00.5Z')))).toBe("'2026-11-25 10:00:00.500'");
    expect(sqlLiteral(42)).toBe('42');
    expect(() => sqlLiteral(Number.NaN)).toThrow(SqlValueError);
  });

  it('inlines every placeholder as a literal and refuses a statement with one left without a value', () => {
    const runId = parseRunId('run-20261125T100000Z-abcdef');
    expect(inlineValues('DELETE FROM elt_run_lock WHERE run_id = $run_id', { run_id: runId })).toBe(
      "DELETE FROM elt_run_lock WHERE run_id = 'run-20261125T100000Z-abcdef'",
    );
    expect(() => inlineValues('SELECT $run_id, $other', { run_id: runId })).toThrow('$other');
  });

  it('binds named parameters as positional ones in order of first use', () => {
    expect(bindNamed('SELECT $b, $a, $b', { a: 1, b: 'x' })).toEqual({
      text: 'SELECT $1, $2, $1',
      params: ['x', 1],
    });
    expect(() => bindNamed('SELECT $a', {})).toThrow('no value for the parameter $a');
  });

  it('splits a load file where the shared insert runs, and refuses one without that line', () => {
    const text = 'CREATE TEMP TABLE s (a INT);\n-- insert-raw-events.sql runs here.\nDROP TABLE s;\n';
    expect(loadStages('x', text)).toEqual({
      stage: ['CREATE TEMP TABLE s (a INT)'],
      after: ['DROP TABLE s'],
    });
    expect(() => loadStages('x', 'SELECT 1')).toThrow('must have one line');
  });
});
