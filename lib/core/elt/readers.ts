import { EltError } from '../util/errors.js';
/**
 * Who may read the published models besides the pipeline itself: database users, groups and roles that
 * every publish grants `SELECT` on every model table. Configuration (`warehouse.readers` in cdk.json), so
 * a reader's access never depends on someone re-running a GRANT after a run replaced a table.
 */
export interface WarehouseReaders {
  /** Database users: a plain name, or an IAM identity as Redshift names it (`IAM:alice`, `IAMR:bi-role`). */
  readonly users?: readonly string[];
  /** User groups (Redshift `GROUP`; a role on PostgreSQL). */
  readonly groups?: readonly string[];
  /** Roles (Redshift `ROLE`; a role on PostgreSQL). */
  readonly roles?: readonly string[];
}

/** One grantee of {@link WarehouseReaders}. */
export interface Reader {
  readonly kind: 'user' | 'group' | 'role';
  readonly name: string;
}

/** A reader that is not a valid database name; the message says which and why. */
export class WarehouseReadersError extends EltError {
  constructor(message: string) {
    super(message);
  }
}

// Redshift names: letters, digits, underscore and $, starting with a letter or underscore, at most 127 bytes
// (r_names.html). IAM identities map to `IAM:<user>` / `IAMR:<role>` with IAM's own name characters.
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,126}$/;
const IAM_USER = /^IAMR?:[A-Za-z0-9+=,.@_-]{1,64}$/;

const KINDS = { users: 'user', groups: 'group', roles: 'role' } as const;

/**
 * Checks readers given as configuration (`{ "users": [...], "groups": [...], "roles": [...] }`) and returns
 * them typed. `where` names the setting in errors.
 */
export function parseReaders(raw: unknown, where = 'warehouse.readers'): WarehouseReaders {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new WarehouseReadersError(`${where} must be an object { "users": [], "groups": [], "roles": [] }`);
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(key in KINDS))
      throw new WarehouseReadersError(
        `${where}.${key} is not a kind of reader (known: users, groups, roles)`,
      );
    if (!Array.isArray(value))
      throw new WarehouseReadersError(
        `${where}.${key} must be a list of names, got ${JSON.stringify(value)}`,
      );
    const kind = KINDS[key as keyof typeof KINDS];
    out[key] = value.map((name, i) => {
      const ok =
        typeof name === 'string' && (PLAIN_NAME.test(name) || (kind === 'user' && IAM_USER.test(name)));
      if (!ok) {
        throw new WarehouseReadersError(
          `${where}.${key}[${i}] ${JSON.stringify(name)} is not a database ${kind} name: letters, digits, _ and $, starting with a letter or _${kind === 'user' ? ', or an IAM identity as IAM:<user> or IAMR:<role>' : ''}`,
        );
      }
      return name;
    });
  }
  return out;
}

/** Every grantee of a readers configuration, in a stable order. */
export function readerList(readers: WarehouseReaders | undefined): Reader[] {
  if (!readers) return [];
  return [
    ...(readers.users ?? []).map((name) => ({ kind: 'user' as const, name })),
    ...(readers.groups ?? []).map((name) => ({ kind: 'group' as const, name })),
    ...(readers.roles ?? []).map((name) => ({ kind: 'role' as const, name })),
  ];
}
