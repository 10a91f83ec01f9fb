/**
 * The ports: the only way the core reaches the outside world. Each has one adapter per backend
 * (lib/adapters, lib/local); use cases take them as arguments so the CLI, the Lambdas and the tests
 * compose the same code with different adapters.
 */
import type { Dialect } from './elt/dialect.js';
import type { RunId } from './elt/sql-values.js';
import type { PutEventsEntry, PutEventsResult } from './events/envelope.js';
import { EltError } from './util/errors.js';

/** An event bus with PutEvents semantics: ≤ 10 entries a call, per-entry results, partial failure. */
export interface Bus {
  /** Publishes up to {@link PUT_EVENTS_MAX_ENTRIES} entries; never throws for a bad entry, reports it. */
  putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResult>;
  /** A short description for logs and summaries, e.g. `in-process` or `eventbridge:my-bus`. */
  describe(): string;
}

/** What a listing returns about one object. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** When the object was last written, when the store knows. */
  readonly lastModified?: Date;
}

/** Options of {@link ObjectStore.list}. */
export interface ListOptions {
  /**
   * Only keys that sort after this one (byte order, as S3 `StartAfter`). A store may return more; callers
   * that rely on the bound filter again.
   */
  readonly startAfter?: string;
}

/** Metadata written with an object. */
export interface PutObjectOptions {
  readonly contentType?: string;
  readonly contentEncoding?: string;
}

/**
 * An object store (S3, a local directory). Keys are `/`-separated, relative, and built only from
 * catalogue values, dates and hashes (see object-keys.ts): never from event text.
 */
export interface ObjectStore {
  /** Writes the whole object atomically: readers see the old object or the new one, never a part. */
  put(key: string, body: Uint8Array, options?: PutObjectOptions): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  /** Lists every object under a prefix (order unspecified). */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo>;
  /**
   * The "folders" one level below a prefix ending in `/` (S3 `CommonPrefixes` with delimiter `/`), each
   * ending in `/`, so a caller can list parts of a tree without listing all of it.
   */
  listPrefixes?(prefix: string): AsyncIterable<string>;
  /** Removes an object; removing one that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** The path of the object on this machine, when the store is a local directory (bulk loaders read it in place). */
  localPath?(key: string): string;
  /** Where the objects live, e.g. `file:///data/store` or `s3://bucket`. */
  describe(): string;
}

/** A source of the current time, injected so tests and replays are deterministic. */
export interface Clock {
  now(): Date;
}

/** The machine's clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A value bound to a statement parameter (`$1`, `$2`, …). */
export type SqlValue = string | number | boolean | null | readonly string[] | readonly number[];

/** A result row, with JSON-friendly values (timestamps as ISO-like text, integers as numbers when exact). */
export type Row = Record<string, unknown>;

/** What the warehouse keeps about one ELT run (table `elt_runs`). */
export interface RunRecord {
  readonly runId: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly objectsLoaded: number;
  readonly eventsLoaded: number;
  readonly models: readonly { readonly name: string; readonly rows: number; readonly ms: number }[];
  /** Data tests; `warn` marks a check that is reported but never blocks publishing (freshness). */
  readonly tests: readonly { readonly name: string; readonly failures: number; readonly warn?: true }[];
  readonly error?: string;
}

/**
 * Running SQL in a warehouse. Statements use positional parameters (`$1`, `$2`, …) and values are bound
 * to them. The pipeline writes a value into SQL text only where a backend takes no parameters (a Redshift
 * COPY, a Data API batch: the run lock and load statements), and then only through `sqlLiteral` /
 * `inlineValues` (lib/core/elt/sql-values.ts), which quote values checked by kind (run id, object key,
 * role ARN, timestamp); never event data. The Data API adapter writes a bound NULL or empty string as
 * `NULL` / `''` (the Data API takes neither as a parameter), which carry no data.
 */
export interface SqlRunner {
  readonly dialect: Dialect;
  describe(): string;
  execute(sql: string, params?: readonly SqlValue[]): Promise<void>;
  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Runs statements (no results) as one transaction: all or nothing. */
  executeBatch(statements: readonly string[]): Promise<void>;
  /**
   * Most statements one `executeBatch` transaction may hold (the Redshift Data API takes 40); `Infinity`
   * when a transaction has no such bound.
   */
  readonly maxStatementsPerTransaction: number;
  close(): Promise<void>;
}

/** Loading landed objects into the warehouse, once each. */
export interface RawLoader {
  /** Creates the pipeline's own tables (raw_events, the load ledger, elt_runs, the run lock) when missing. */
  ensureSchema(): Promise<void>;
  /**
   * Keys of objects already loaded (the ledger): every one, or with `since`, those loaded at or after that
   * time, so a plan reads what is new instead of the whole history.
   */
  loadedObjectKeys(since?: Date): Promise<Set<string>>;
  /**
   * Bulk-loads whole raw objects of `store` into raw_events and records them in the ledger, in one
   * transaction, so an object is either loaded and recorded or neither. Returns the number of events
   * loaded.
   */
  loadObjects(objects: readonly ObjectInfo[], store: ObjectStore, runId: RunId): Promise<number>;
  /**
   * How big a load chunk (one transaction) this warehouse works best with, when the run does not say
   * (`maxObjectsPerLoad`, `maxBytesPerLoad`). @default 500 objects, 512 MiB
   */
  readonly loadChunk?: { readonly maxObjects: number; readonly maxBytes: number };
}

/** The run history (table `elt_runs`). */
export interface RunLedger {
  /** Inserts or updates a run in the history. */
  recordRun(run: RunRecord): Promise<void>;
  /** Recent runs, newest first. */
  listRuns(limit: number): Promise<RunRecord[]>;
}

/**
 * The ELT run lock: two runs at once would build the same tables. The warehouse chooses how it is kept
 * (lib/core/elt/run-lock.ts): a session lock, held by the connection until it closes (PostgreSQL's
 * advisory lock; DuckDB's file lock), or a lock row, for orchestrators whose steps run in separate
 * processes that share no session (Step Functions over the Data API), claimed until a time and released
 * by publish or fail.
 */
export interface RunLock {
  /**
   * Takes the lock for this connection when a whole run goes on in one process, before the run reads
   * anything; throws {@link EltRunInProgressError} when another run holds it. A lock row does nothing
   * here: it needs the pipeline's tables, and the plan claims it.
   */
  acquireForSession(): Promise<void>;
  /**
   * Claims the lock for `runId` until `expiresAt` unless another run holds an unexpired one, atomically,
   * and returns the run that holds it afterwards: `runId` itself when claimed. A session lock that another
   * connection holds names no run: it throws {@link EltRunInProgressError}.
   */
  claim(runId: RunId, now: Date, expiresAt: Date): Promise<string>;
  /** Releases the lock if `runId` holds it (a session lock: when the connection closes). */
  release(runId: RunId): Promise<void>;
  /**
   * Statements that release the lock of `runId` inside a transaction of the caller's (publishing: the
   * tables change and the lock goes in one commit); none for a session lock.
   */
  releaseStatements(runId: RunId): readonly string[];
  /**
   * Stops what a run left running in the warehouse, which would otherwise go on after the lock is released:
   * statements that outlived the process that sent them (a Lambda function stopped at its timeout does not
   * stop its Data API statements). Cancels each and waits until they end or `until`; returns how many may
   * still be running. 0 where statements end with the session that sent them.
   */
  stopRunStatements(runId: RunId, until: Date): Promise<number>;
}

/**
 * A warehouse the ELT loads into and transforms inside: one object with each part, so that a caller can
 * depend on the part it uses ({@link SqlRunner}, {@link RawLoader}, {@link RunLedger}, {@link RunLock}).
 */
export interface EltWarehouse extends SqlRunner, RawLoader, RunLedger {
  readonly runLock: RunLock;
}

/**
 * The connection to the warehouse was lost during an operation (the server shut down or restarted, the
 * network dropped): nothing of the operation's transaction was committed.
 */
export class WarehouseLostError extends EltError {
  constructor(
    readonly warehouse: string,
    options: { cause: unknown },
  ) {
    super(`the connection to ${warehouse} was lost (${(options.cause as Error).message})`, options);
  }
}

/**
 * Some objects of a load were recorded in the ledger by another transaction while this load waited (a
 * statement of an earlier run that outlived its process): nothing of this load was written. Plan the
 * load again from the ledger.
 */
export class ObjectsLoadedMeanwhileError extends EltError {
  constructor(readonly objects: number) {
    super(
      `objects of this load (${objects} in all) were loaded by another transaction meanwhile; nothing of it was written`,
    );
  }
}

/** Another ELT run holds the warehouse's run lock: two runs would build the same tables at once. */
export class EltRunInProgressError extends EltError {
  constructor(
    readonly warehouse: string,
    /** The run holding the lock, when the lock says (a lock row does; a session lock does not). */
    readonly holder?: string,
  ) {
    super(
      `another ELT run is in progress on ${warehouse} (${holder ? `run ${holder} holds` : 'it holds'} the run lock); wait for it to finish (elt runs shows it) and run again`,
    );
  }
}
