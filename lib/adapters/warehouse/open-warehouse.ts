import { dialectNamed } from '../../core/elt/dialect.js';
import type { EltWarehouse } from '../../core/ports.js';
import { EltError } from '../../core/util/errors.js';
import { DuckDbWarehouse } from './duckdb-warehouse.js';
import { PostgresWarehouse } from './postgres-warehouse.js';
import { RedshiftDataWarehouse } from './redshift-data-warehouse.js';

/** A warehouse URL that does not parse; the message shows the accepted forms. */
export class WarehouseUrlError extends EltError {
  constructor(url: string, why: string) {
    super(
      `--warehouse ${JSON.stringify(url.replace(/:[^:@/]*@/, ':****@'))} is not valid: ${why}. Use duckdb, duckdb:<file>, postgres://user@host:port/db, or redshift-data://workgroup/<name>/<database>[?bucket=<raw-bucket>&copyRole=<role-arn>]`,
    );
  }
}

/**
 * Opens the warehouse a URL names:
 * - `duckdb` (the data directory's file) or `duckdb:<path>`;
 * - `postgres://…` / `postgresql://…`;
 * - `redshift-data://workgroup/<workgroup>/<database>?bucket=<raw bucket>&copyRole=<role ARN>` or
 *   `redshift-data://cluster/<id>/<database>?…&dbUser=<user>`; bucket and copyRole are needed to load
 *   (leave both out to query only); optional `secretArn=`, `keyPrefix=`, and `dialect=postgres` for a
 *   local Data API endpoint backed by PostgreSQL.
 */
export async function openWarehouse(url: string, defaultDuckDbPath: string): Promise<EltWarehouse> {
  if (url === 'duckdb') return DuckDbWarehouse.open(defaultDuckDbPath);
  if (url.startsWith('duckdb:')) {
    const path = url.slice('duckdb:'.length);
    if (!path) throw new WarehouseUrlError(url, 'no file after duckdb:');
    return DuckDbWarehouse.open(path);
  }
  if (/^postgres(ql)?:\/\//.test(url)) return PostgresWarehouse.open(url);
  if (url.startsWith('redshift-data://')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      // No cause: the URL parser's error carries the input, password and all.
      throw new WarehouseUrlError(url, 'not a URL');
    }
    const kind = parsed.hostname;
    const [, name, database] = parsed.pathname.split('/');
    if ((kind !== 'workgroup' && kind !== 'cluster') || !name || !database) {
      throw new WarehouseUrlError(
        url,
        'expected redshift-data://workgroup/<name>/<database> or redshift-data://cluster/<id>/<database>',
      );
    }
    const q = parsed.searchParams;
    const bucket = q.get('bucket');
    const copyRole = q.get('copyRole');
    if (!bucket !== !copyRole)
      throw new WarehouseUrlError(
        url,
        'bucket= and copyRole= go together (COPY reads the raw bucket as that role); leave both out to query only',
      );
    const keyPrefix = q.get('keyPrefix') ?? '';
    const secretArn = q.get('secretArn');
    const dbUser = q.get('dbUser');
    return new RedshiftDataWarehouse({
      target:
        kind === 'workgroup'
          ? { workgroupName: name }
          : { clusterIdentifier: name, ...(dbUser ? { dbUser } : {}) },
      database,
      ...(secretArn ? { secretArn } : {}),
      dialect: dialectNamed(q.get('dialect') ?? 'redshift'),
      ...(bucket && copyRole ? { copy: { bucket, keyPrefix, roleArn: copyRole } } : {}),
    });
  }
  throw new WarehouseUrlError(url, 'unknown kind');
}
