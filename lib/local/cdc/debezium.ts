import { EltError } from '../../core/util/errors.js';

/**
 * Change data capture of the marketplace's transactional outbox with Debezium's PostgreSQL connector on Kafka
 * Connect (scripts/services/connect.sh): the connector reads the outbox table's rows from the write-ahead log
 * (logical decoding with pgoutput, through a publication limited to that table and a replication slot of its
 * own), and Debezium's outbox event router turns each inserted row into one Kafka record on the landing topic:
 * the value is the row's `payload` (the EventBridge envelope, as PostgreSQL prints the jsonb), the key its
 * `aggregateid`, and its `id` (the envelope id) a header named `id`. No poller: the WAL is the log.
 */

/** The topic the Kafka landing (`elt land`) consumes unless told: `DEFAULT_TOPIC` of lib/cli/kafka-options.ts. */
export const CDC_LANDING_TOPIC = 'elt-events';

/** The outbox table (sql/oltp/schema.sql). */
export const OUTBOX_TABLE = 'public.outbox';

/** Where the connector reads from. The password is sent to Connect only, and never put in a message. */
export interface CdcDatabase {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly dbname: string;
}

/** Reads a `postgres://user:password@host:port/dbname` URL. */
export function cdcDatabaseFromUrl(url: string): CdcDatabase {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // The URL may hold a password: it is not repeated.
    throw new CdcConfigError(
      'the PostgreSQL URL is not a URL (postgres://user[:password]@host[:port]/dbname)',
    );
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new CdcConfigError(`the PostgreSQL URL must start with postgres://, not ${u.protocol}//`);
  }
  const dbname = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!u.hostname || !dbname) {
    throw new CdcConfigError(
      'the PostgreSQL URL must name a host and a database (postgres://user@host:port/dbname)',
    );
  }
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || 'postgres',
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    dbname,
  };
}

/** Options of {@link outboxConnectorConfig}. */
export interface OutboxConnectorOptions {
  readonly database: CdcDatabase;
  /** The replication slot: one per connector (a slot has one reader), kept across restarts. */
  readonly slotName: string;
  /** The publication, created by the connector for the outbox table only. */
  readonly publicationName: string;
  /** Where every outbox row goes. @default {@link CDC_LANDING_TOPIC} */
  readonly topic?: string;
  /** Prefix of the connector's own topic names (none is written: the router renames every record's topic). */
  readonly topicPrefix?: string;
  /** @default {@link OUTBOX_TABLE} */
  readonly table?: string;
  /** Partitions of the topic when the worker creates it. @default 3 */
  readonly partitions?: number;
  /** How long the task waits for new changes when it has none. @default 100 */
  readonly pollIntervalMs?: number;
}

const SLOT_NAME = /^[a-z0-9_]{1,63}$/;
const PUBLICATION_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const TABLE_NAME = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

/**
 * The connector's configuration, as PUT to Connect. Snapshot mode `initial`: rows already in the outbox when
 * the slot is first made are read (snapshot), then the WAL from the slot's start on (streaming); a restart
 * resumes from the stored offset, and a snapshot cut short is done again (at-least-once either way).
 */
export function outboxConnectorConfig(options: OutboxConnectorOptions): Record<string, string> {
  const topic = options.topic ?? CDC_LANDING_TOPIC;
  const table = options.table ?? OUTBOX_TABLE;
  if (!SLOT_NAME.test(options.slotName))
    throw new CdcConfigError(`slot name ${JSON.stringify(options.slotName)} must be 1–63 of a-z, 0-9, _`);
  if (!PUBLICATION_NAME.test(options.publicationName))
    throw new CdcConfigError(
      `publication name ${JSON.stringify(options.publicationName)} must be a lower-case identifier`,
    );
  if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..')
    throw new CdcConfigError(`topic ${JSON.stringify(topic)} must be 1–249 letters, digits, ".", "_" or "-"`);
  if (!TABLE_NAME.test(table))
    throw new CdcConfigError(`table ${JSON.stringify(table)} must be schema.table`);
  const db = options.database;
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'database.hostname': db.host,
    'database.port': String(db.port),
    'database.user': db.user,
    ...(db.password !== undefined ? { 'database.password': db.password } : {}),
    'database.dbname': db.dbname,
    'topic.prefix': options.topicPrefix ?? `cdc-${options.slotName.replaceAll('_', '-')}`,
    // Logical decoding with PostgreSQL's built-in output plugin (no server extension to install).
    'plugin.name': 'pgoutput',
    'slot.name': options.slotName,
    // The slot is kept when the task stops, so a restart resumes where it was; drop it with dropReplicationSlot.
    'slot.drop.on.stop': 'false',
    'publication.name': options.publicationName,
    'publication.autocreate.mode': 'filtered',
    'table.include.list': table,
    'snapshot.mode': 'initial',
    'poll.interval.ms': String(options.pollIntervalMs ?? 100),
    'tombstones.on.delete': 'false',
    // The value is the payload text as it is (no schema wrapper), the key the aggregate id as text.
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'header.converter': 'org.apache.kafka.connect.storage.SimpleHeaderConverter',
    transforms: 'outbox',
    'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
    'transforms.outbox.table.field.event.id': 'id',
    'transforms.outbox.table.field.event.key': 'aggregateid',
    'transforms.outbox.table.field.event.payload': 'payload',
    'transforms.outbox.table.expand.json.payload': 'false',
    // Every row to one topic: the replacement names no group of the (default, match-all) route regex.
    'transforms.outbox.route.by.field': 'aggregatetype',
    'transforms.outbox.route.topic.replacement': topic,
    'transforms.outbox.table.fields.additional.placement': 'type:header:eventType',
    // Updates of a row (the relay's sent_at) are not events: logged and skipped.
    'transforms.outbox.table.op.invalid.behavior': 'warn',
    'topic.creation.default.replication.factor': '1',
    'topic.creation.default.partitions': String(options.partitions ?? 3),
  };
}

/** A configuration the connector cannot be given. */
export class CdcConfigError extends EltError {}

/** Kafka Connect refused a request or did not answer. */
export class ConnectRequestError extends EltError {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The connector or its task did not reach RUNNING in time, or failed. */
export class ConnectorNotRunningError extends EltError {
  constructor(
    message: string,
    readonly status?: ConnectorStatus,
  ) {
    super(message);
  }
}

/** One state as Connect reports it. */
export interface ConnectorState {
  readonly state: 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'FAILED' | 'RESTARTING' | 'STOPPED' | string;
  readonly worker_id?: string;
  readonly trace?: string;
}

/** GET /connectors/{name}/status. */
export interface ConnectorStatus {
  readonly name: string;
  readonly connector: ConnectorState;
  readonly tasks: readonly (ConnectorState & { readonly id: number })[];
  readonly type?: string;
}

/** Where Connect's REST API is, and values that must never appear in a message (the database password). */
export interface ConnectTarget {
  readonly url: string;
  readonly secrets?: readonly string[];
  /** Per request. @default 60000 (Connect validates a config by connecting to the database) */
  readonly requestTimeoutMs?: number;
}

function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

function connectorPath(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(name))
    throw new CdcConfigError(
      `connector name ${JSON.stringify(name)} must be 1–200 letters, digits, ".", "_" or "-"`,
    );
  return `/connectors/${encodeURIComponent(name)}`;
}

/**
 * One REST call. Connect answers 409 while its group rebalances (a worker joined or left, e.g. just after a
 * restart): such a call is tried again, for up to 30 s.
 */
async function request(
  target: ConnectTarget,
  method: 'GET' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await requestOnce(target, method, path, body);
    } catch (error) {
      if (!(error instanceof ConnectRequestError) || error.status !== 409 || Date.now() >= deadline)
        throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function requestOnce(
  target: ConnectTarget,
  method: 'GET' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const url = `${target.url.replace(/\/$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(target.requestTimeoutMs ?? 60_000),
    });
  } catch (error) {
    throw new ConnectRequestError(
      `Kafka Connect at ${target.url} did not answer ${method} ${path}: ${redact((error as Error).message, target.secrets)} (start it: npm run connect:up)`,
      undefined,
      { cause: error },
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok && res.status !== 404) {
    const message = (json as { message?: string } | undefined)?.message ?? text.slice(0, 500);
    throw new ConnectRequestError(
      `Kafka Connect refused ${method} ${path} (HTTP ${res.status}): ${redact(message, target.secrets)}`,
      res.status,
    );
  }
  return { status: res.status, json };
}

/** The target for a config: its database password is kept out of every message. */
export function connectTarget(url: string, config?: Readonly<Record<string, string>>): ConnectTarget {
  const password = config?.['database.password'];
  return { url, ...(password ? { secrets: [password] } : {}) };
}

/**
 * Creates the connector, or updates its config (PUT /connectors/{name}/config). Returns whether it was
 * created. A config that fails Connect's validation is refused with Connect's reason.
 */
export async function registerConnector(
  target: ConnectTarget,
  name: string,
  config: Readonly<Record<string, string>>,
): Promise<{ created: boolean }> {
  const secrets = [
    ...(target.secrets ?? []),
    ...(config['database.password'] ? [config['database.password']] : []),
  ];
  const { status } = await request({ ...target, secrets }, 'PUT', `${connectorPath(name)}/config`, {
    ...config,
    name,
  });
  if (status === 404)
    throw new ConnectRequestError(`Kafka Connect answered 404 to PUT ${connectorPath(name)}/config`, 404);
  return { created: status === 201 };
}

/** The connector's status, or undefined when Connect has no such connector. */
export async function connectorStatus(
  target: ConnectTarget,
  name: string,
): Promise<ConnectorStatus | undefined> {
  const { status, json } = await request(target, 'GET', `${connectorPath(name)}/status`);
  if (status === 404) return undefined;
  return json as ConnectorStatus;
}

/** Deletes the connector (its offsets stay in Connect's offsets topic, its slot in PostgreSQL). */
export async function deleteConnector(target: ConnectTarget, name: string): Promise<{ deleted: boolean }> {
  const { status } = await request(target, 'DELETE', connectorPath(name));
  return { deleted: status !== 404 };
}

function firstLine(trace: string | undefined): string {
  return (trace ?? '').split('\n')[0]!.slice(0, 500);
}

/** A one-line account of a status: `connector RUNNING, task 0 FAILED (trace's first line)`. */
export function describeConnectorStatus(status: ConnectorStatus | undefined): string {
  if (!status) return 'not registered';
  const parts = [
    `connector ${status.connector.state}${status.connector.trace ? ` (${firstLine(status.connector.trace)})` : ''}`,
  ];
  if (status.tasks.length === 0) parts.push('no task assigned yet');
  for (const t of status.tasks)
    parts.push(`task ${t.id} ${t.state}${t.trace ? ` (${firstLine(t.trace)})` : ''}`);
  return parts.join(', ');
}

/**
 * Waits until the connector and every task (at least one) are RUNNING. Fails at once when either is FAILED,
 * and after `timeoutMs` otherwise, naming the states and the first line of any trace.
 */
export async function waitForConnectorRunning(
  target: ConnectTarget,
  name: string,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<ConnectorStatus> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let last: ConnectorStatus | undefined;
  for (;;) {
    last = await connectorStatus(target, name);
    if (last) {
      const states = [last.connector, ...last.tasks];
      if (last.tasks.length > 0 && states.every((s) => s.state === 'RUNNING')) return last;
      if (states.some((s) => s.state === 'FAILED'))
        throw new ConnectorNotRunningError(
          `connector ${name} failed: ${redact(describeConnectorStatus(last), target.secrets)}`,
          last,
        );
    }
    if (Date.now() >= deadline)
      throw new ConnectorNotRunningError(
        `connector ${name} was not running within ${Math.round(timeoutMs / 1000)} s: ${redact(describeConnectorStatus(last), target.secrets)}`,
        last,
      );
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

/** The part of a `pg` client this module uses. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Drops a replication slot once no reader holds it (a connector just deleted lets go within seconds). A slot
 * left behind keeps every WAL segment from its position on, and a database with a slot cannot be dropped.
 * Returns whether there was a slot.
 */
export async function dropReplicationSlot(
  client: SqlClient,
  slotName: string,
  opts: { timeoutMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const { rows } = await client.query('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [
      slotName,
    ]);
    if (rows.length === 0) return false;
    const pid = rows[0]!.active_pid;
    if (pid === null) {
      await client.query('SELECT pg_drop_replication_slot($1)', [slotName]);
      return true;
    }
    if (Date.now() >= deadline) {
      // The reader is gone for good only when its connector is: end its walsender, then drop the slot.
      await client.query('SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((r) => setTimeout(r, 500));
      await client.query('SELECT pg_drop_replication_slot($1)', [slotName]);
      return true;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
