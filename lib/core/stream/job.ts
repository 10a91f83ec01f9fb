import { createHash } from 'node:crypto';
import { EltError } from '../util/errors.js';

/**
 * The live windows job (sql/stream/): its settings, validated one by one, and the SQL files rendered with them.
 * The files carry placeholders `{{ name }}`; the Managed Service for Apache Flink application substitutes the same
 * names from its runtime properties, so the names and the rules of their values are written here once.
 */

/** A stream job setting that cannot go into the SQL; the message names the setting and what it must be. */
export class StreamJobSettingError extends EltError {}

/** A SQL file with a placeholder that has no value, or with text the renderer cannot split. */
export class StreamJobTemplateError extends EltError {}

/** The job's name in Flink (`pipeline.name`, set by live-windows.sql): one copy of it runs at a time. */
export const STREAM_JOB_NAME = 'elt-live-windows';
/** The topic of the job's results (not the landing's input: an open transaction would hold its readers back). */
export const DEFAULT_RESULTS_TOPIC = 'elt-stream';
/** The job's own consumer group on the source topic. */
export const DEFAULT_STREAM_GROUP = 'elt-stream';
/** How far the watermark trails the newest event time. */
export const DEFAULT_ALLOWED_LATENESS_SECONDS = 10;
/** After how long without records a partition stops holding the watermark back. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 30;
/** The `region` of result envelopes outside AWS. */
export const LOCAL_REGION = 'local';

/** The SQL files of the job on Kafka, in the order they run: source table, sink table, the job. */
export const STREAM_SQL_FILES = ['source-kafka.sql', 'sink-kafka.sql', 'live-windows.sql'] as const;

/** What the job is started with. */
export interface StreamJobSettings {
  /** The topic of EventBridge envelopes the job reads. */
  readonly sourceTopic: string;
  /** @default DEFAULT_RESULTS_TOPIC */
  readonly resultsTopic?: string;
  /** Kafka bootstrap servers (host:port). */
  readonly bootstrapServers: readonly string[];
  /** @default DEFAULT_STREAM_GROUP */
  readonly groupId?: string;
  /** @default DEFAULT_ALLOWED_LATENESS_SECONDS */
  readonly allowedLatenessSeconds?: number;
  /** @default DEFAULT_IDLE_TIMEOUT_SECONDS */
  readonly idleTimeoutSeconds?: number;
  /** @default - the job name, `elt-live-windows` */
  readonly transactionalIdPrefix?: string;
  /** @default LOCAL_REGION */
  readonly region?: string;
}

/** The placeholders of sql/stream/*.sql and their values, as they go into the SQL. */
export type StreamJobValues = Readonly<Record<StreamPlaceholder, string>>;

/** Every placeholder name the files may use. */
export const STREAM_PLACEHOLDERS = [
  'source_topic',
  'results_topic',
  'bootstrap_servers',
  'group_id',
  'allowed_lateness_seconds',
  'idle_timeout_seconds',
  'transactional_id_prefix',
  'region',
] as const;
export type StreamPlaceholder = (typeof STREAM_PLACEHOLDERS)[number];

/** Allowed lateness and idle timeout: whole seconds, at most an hour. */
export const LATENESS_RANGE = { min: 0, max: 3600 } as const;
export const IDLE_TIMEOUT_RANGE = { min: 1, max: 3600 } as const;

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const BROKER = /^[A-Za-z0-9.-]{1,253}:\d{1,5}$/;
const TRANSACTIONAL_PREFIX = /^[A-Za-z0-9._-]{1,200}$/;
const REGION = /^[a-z0-9-]{1,32}$/;

function name(setting: string, value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value) || value === '.' || value === '..')
    throw new StreamJobSettingError(`${setting} must be ${what}, got ${JSON.stringify(value)}`);
  return value;
}

function integer(setting: string, value: number, range: { min: number; max: number }): string {
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max)
    throw new StreamJobSettingError(
      `${setting} must be an integer from ${range.min} to ${range.max}, got ${JSON.stringify(value)}`,
    );
  return String(value);
}

/**
 * The placeholder values of a job, each checked so that it can only be what it claims to be: topic names, group
 * ids and prefixes by Kafka's pattern (no quote, no space, no backslash can reach the SQL), numbers as integers.
 */
export function streamJobValues(settings: StreamJobSettings): StreamJobValues {
  const topicRule = '1–249 letters, digits, ".", "_" or "-"';
  const sourceTopic = name('source topic', settings.sourceTopic, TOPIC, topicRule);
  const resultsTopic = name(
    'results topic',
    settings.resultsTopic ?? DEFAULT_RESULTS_TOPIC,
    TOPIC,
    topicRule,
  );
  if (resultsTopic === sourceTopic)
    throw new StreamJobSettingError(
      `the results topic must not be the topic the job reads (${sourceTopic}): the job would read its own results`,
    );
  if (settings.bootstrapServers.length === 0)
    throw new StreamJobSettingError('bootstrap servers must name at least one host:port');
  for (const b of settings.bootstrapServers) name('bootstrap server', b, BROKER, 'host:port');
  return {
    source_topic: sourceTopic,
    results_topic: resultsTopic,
    bootstrap_servers: settings.bootstrapServers.join(','),
    group_id: name('group id', settings.groupId ?? DEFAULT_STREAM_GROUP, TOPIC, topicRule),
    allowed_lateness_seconds: integer(
      'allowed lateness (seconds)',
      settings.allowedLatenessSeconds ?? DEFAULT_ALLOWED_LATENESS_SECONDS,
      LATENESS_RANGE,
    ),
    idle_timeout_seconds: integer(
      'idle timeout (seconds)',
      settings.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
      IDLE_TIMEOUT_RANGE,
    ),
    transactional_id_prefix: name(
      'transactional id prefix',
      settings.transactionalIdPrefix ?? STREAM_JOB_NAME,
      TRANSACTIONAL_PREFIX,
      '1–200 letters, digits, ".", "_" or "-"',
    ),
    region: name('region', settings.region ?? LOCAL_REGION, REGION, '1–32 lower-case letters, digits or "-"'),
  };
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** The placeholders a SQL text uses, once each. */
export function placeholdersOf(sql: string): string[] {
  return [...new Set([...sql.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** `sql` with every `{{ name }}` replaced by its value; a placeholder without one is an error naming the file. */
export function renderStreamSql(sql: string, values: StreamJobValues, file: string): string {
  const known = values as Readonly<Record<string, string>>;
  const missing = placeholdersOf(sql).filter((p) => !Object.hasOwn(known, p));
  if (missing.length > 0)
    throw new StreamJobTemplateError(
      `${file} uses ${missing.map((p) => `{{ ${p} }}`).join(', ')}, which no setting gives (known: ${STREAM_PLACEHOLDERS.join(', ')})`,
    );
  return sql.replace(PLACEHOLDER, (_, p: string) => known[p]!);
}

/**
 * The statements of a SQL text, without comments, in order: split at `;` outside quotes ('…', `…`, "…") and
 * comments (`--`, `/* *\/`), an `EXECUTE STATEMENT SET BEGIN … END` kept whole.
 */
export function splitSqlStatements(sql: string, file = 'SQL'): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const push = (): void => {
    const s = current.trim();
    if (s) statements.push(s);
    current = '';
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const two = sql.slice(i, i + 2);
    if (two === '--') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      continue;
    }
    if (two === '/*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw new StreamJobTemplateError(`${file}: a /* comment is never closed`);
      i = end + 2;
      current += ' ';
      continue;
    }
    if (c === "'" || c === '`' || c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new StreamJobTemplateError(`${file}: a ${c} quote opened is never closed`);
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      current += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === ';') {
      const inSet = /^\s*EXECUTE\s+STATEMENT\s+SET\s+BEGIN\b/i.test(current);
      if (!inSet || /\bEND\s*$/i.test(current)) push();
      else current += c;
      i++;
      continue;
    }
    current += c;
    i++;
  }
  push();
  return statements;
}

/** One SQL file's text, named for messages. */
export interface SqlFile {
  readonly file: string;
  readonly sql: string;
}

/** The job's statements, every file rendered with the settings and split, in the order of `files`. */
export function streamJobStatements(settings: StreamJobSettings, files: readonly SqlFile[]): string[] {
  const values = streamJobValues(settings);
  return files.flatMap(({ file, sql }) => splitSqlStatements(renderStreamSql(sql, values, file), file));
}

/**
 * The eventId the job gives a result with this key (live-windows.sql computes it in SQL): MD5 of the key laid
 * out as a UUID with version nibble 3 and variant 10xx. Keys: `StreamWindowCounted|<metric>|<window>|<start>|<end>`
 * (bounds as Flink casts a TIMESTAMP(3) to text, `2026-12-03 10:00:00.000`), `LateEventSeen|<eventId>|<envelope id>`,
 * `MalformedRecordSeen|<topic>|<partition>|<offset>`.
 */
export function streamResultEventId(key: string): string {
  const h = createHash('md5').update(key, 'utf8').digest('hex');
  const variant = '89ab'[parseInt(h[16]!, 16) % 4]!;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-3${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
