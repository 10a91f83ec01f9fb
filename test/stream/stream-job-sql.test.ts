import { describe, expect, it } from 'vitest';
import {
  STREAM_PLACEHOLDERS,
  placeholdersOf,
  renderStreamSql,
  splitSqlStatements,
  streamJobStatements,
  streamJobValues,
  streamResultEventId,
  type StreamJobSettings,
} from '../../lib/core/stream/job.js';
import { readStreamSqlFiles } from '../../lib/local/stream/job-files.js';

const settings: StreamJobSettings = { sourceTopic: 'elt-events', bootstrapServers: ['127.0.0.1:9092'] };

describe('the stream job settings', () => {
  it('take the documented defaults', () => {
    expect(streamJobValues(settings)).toEqual({
      source_topic: 'elt-events',
      results_topic: 'elt-stream',
      bootstrap_servers: '127.0.0.1:9092',
      group_id: 'elt-stream',
      allowed_lateness_seconds: '10',
      idle_timeout_seconds: '30',
      transactional_id_prefix: 'elt-live-windows',
      region: 'local',
    });
  });

  it.each([
    [{ sourceTopic: "x'; DROP TABLE t; --" }, /source topic must be 1–249 letters/],
    [{ resultsTopic: "a' , 'connector' = 'print" }, /results topic must be/],
    [{ resultsTopic: 'elt-events' }, /must not be the topic the job reads/],
    [{ groupId: 'g g' }, /group id must be/],
    [{ bootstrapServers: ["h:1'"] }, /bootstrap server must be host:port/],
    [{ bootstrapServers: [] }, /at least one host:port/],
    [{ allowedLatenessSeconds: 1.5 }, /allowed lateness \(seconds\) must be an integer from 0 to 3600/],
    [{ allowedLatenessSeconds: -1 }, /allowed lateness/],
    [{ idleTimeoutSeconds: 0 }, /idle timeout \(seconds\) must be an integer from 1 to 3600/],
    [{ transactionalIdPrefix: 'a/b' }, /transactional id prefix must be/],
    [{ region: 'EU"' }, /region must be/],
  ] as const)('refuse a value that could change the SQL: %j', (change, message) => {
    expect(() => streamJobValues({ ...settings, ...change })).toThrow(message);
  });
});

describe('the SQL files of sql/stream/', () => {
  it('use only known placeholders, each documented at the top of the file that uses it', async () => {
    for (const { file, sql } of await readStreamSqlFiles()) {
      const used = placeholdersOf(sql);
      expect(used.length, file).toBeGreaterThan(0);
      const header = sql
        .split('\n')
        .filter((l) => l.startsWith('--'))
        .join('\n');
      for (const p of used) {
        expect(STREAM_PLACEHOLDERS, `${file}: {{ ${p} }}`).toContain(p);
        expect(header, `${file} documents {{ ${p} }}`).toContain(`{{ ${p} }}`);
      }
    }
  });

  it('render to statements with no placeholder left: two tables, settings, views, one INSERT', async () => {
    const statements = streamJobStatements(settings, await readStreamSqlFiles());
    expect(statements.join('\n')).not.toMatch(/\{\{|\}\}/);
    expect(statements.map((s) => s.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'CREATE TABLE',
      'CREATE TABLE',
      "SET 'table.local-time-zone'",
      "SET 'pipeline.name'",
      'CREATE TEMPORARY',
      'CREATE TEMPORARY',
      'CREATE TEMPORARY',
      'CREATE TEMPORARY',
      'CREATE TEMPORARY',
      'INSERT INTO',
    ]);
    // The live windows file names no connector: the AWS application brings its own tables.
    const body = (await readStreamSqlFiles()).find((f) => f.file.endsWith('live-windows.sql'))!;
    expect(body.sql).not.toMatch(/'connector'/);
  });

  it('refuse a placeholder no setting gives, naming the file', () => {
    expect(() => renderStreamSql('SELECT {{ nope }}', streamJobValues(settings), 'x.sql')).toThrow(
      /x\.sql uses \{\{ nope \}\}, which no setting gives/,
    );
  });
});

describe('splitting SQL into statements', () => {
  it('splits at semicolons outside quotes and comments, and keeps a statement set whole', () => {
    const sql = `-- a comment; with a semicolon
      SET 'a' = 'b;c';
      /* block; comment */ SELECT 'it''s; here', \`x;y\` FROM t;
      EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END;
      SELECT 3`;
    expect(splitSqlStatements(sql).map((s) => s.replace(/\s+/g, ' '))).toEqual([
      "SET 'a' = 'b;c'",
      "SELECT 'it''s; here', `x;y` FROM t",
      'EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END',
      'SELECT 3',
    ]);
  });

  it('refuses an unclosed quote', () => {
    expect(() => splitSqlStatements("SELECT 'x;", 'f.sql')).toThrow(
      /f\.sql: a ' quote opened is never closed/,
    );
  });
});

describe('the eventId of a result', () => {
  it('is a UUID of version-3 layout, the same for the same key and different for another', () => {
    const a = streamResultEventId('LateEventSeen|1d2c3b4a-5f6e-4d7c-8b9a-0a1b2c3d4e5f');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(streamResultEventId('LateEventSeen|1d2c3b4a-5f6e-4d7c-8b9a-0a1b2c3d4e5f')).toBe(a);
    expect(streamResultEventId('LateEventSeen|other')).not.toBe(a);
  });
});
