import {
  IdempotencyConfig,
  IdempotencyItemAlreadyExistsError,
  IdempotencyRecordStatus,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  IdempotencyStoreUnavailableError,
  type IdempotencyBegin,
  type IdempotencyStore,
  type StoredResponse,
} from '../../core/ingest/idempotency.js';

/** Options of {@link DynamoDBIdempotencyStore}. */
export interface DynamoDBIdempotencyStoreOptions {
  /** A table with partition key `id` (string) and TTL attribute `expiration`: Powertools' defaults. */
  readonly tableName: string;
  /** How long a completed key is remembered. */
  readonly ttlSeconds: number;
  /** Prefix of the records' ids: stable across function renames, unlike the default (the function name). */
  readonly keyPrefix: string;
  readonly client: DynamoDBClient;
}

// Powertools retries a claim this often when the record changes under it (its MAX_RETRIES + 1).
const CLAIM_ATTEMPTS = 3;

/**
 * The idempotency store of the AWS function: Powertools' DynamoDB persistence layer, so the records are the
 * ones its `makeIdempotent` would write (conditional PutItem to claim, `ConsistentRead` GetItem when the
 * failed put does not return the record, UpdateItem to complete, DeleteItem to release). A record's id is
 * `prefix#base64(SHA-256(JSON key))`, its validation hash that of the request fingerprint. Times are
 * Powertools' own clock; `heldUntil` bounds the in-progress record (the invocation's end).
 */
export class DynamoDBIdempotencyStore implements IdempotencyStore {
  private readonly persistence: DynamoDBPersistenceLayer;

  constructor(options: DynamoDBIdempotencyStoreOptions) {
    this.persistence = new DynamoDBPersistenceLayer({
      tableName: options.tableName,
      awsSdkV3Client: options.client,
    });
    this.persistence.configure({
      config: new IdempotencyConfig({
        eventKeyJmesPath: 'key',
        payloadValidationJmesPath: 'fingerprint',
        throwOnNoIdempotencyKey: true,
        expiresAfterSeconds: options.ttlSeconds,
        hashFunction: 'sha256',
      }),
      keyPrefix: options.keyPrefix,
    });
  }

  async begin(key: string, fingerprint: string, _now: number, heldUntil?: number): Promise<IdempotencyBegin> {
    const data = { key, fingerprint };
    let last: unknown;
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      try {
        await this.persistence.saveInProgress(
          data,
          heldUntil === undefined ? undefined : heldUntil - Date.now(),
        );
        return { kind: 'new' };
      } catch (error) {
        if (!(error instanceof IdempotencyItemAlreadyExistsError)) throw unavailable('claim', error);
        last = error;
      }
      let record: IdempotencyRecord;
      try {
        const existing = (last as IdempotencyItemAlreadyExistsError).existingRecord;
        record = existing
          ? this.persistence.processExistingRecord(existing, data)
          : await this.persistence.getRecord(data);
      } catch (error) {
        if (error instanceof IdempotencyValidationError) return { kind: 'mismatch' };
        // The record went away between the put and the read: claim again.
        last = error;
        continue;
      }
      let status: string;
      try {
        status = record.getStatus();
      } catch (error) {
        throw unavailable('read', error);
      }
      if (status === IdempotencyRecordStatus.INPROGRESS) return { kind: 'in-flight' };
      if (status === IdempotencyRecordStatus.COMPLETED) {
        return { kind: 'replay', response: record.getResponse() as unknown as StoredResponse };
      }
      // EXPIRED: it expired after the put refused us; claim again.
    }
    throw unavailable('claim', last);
  }

  async complete(key: string, fingerprint: string, response: StoredResponse): Promise<void> {
    try {
      await this.persistence.saveSuccess(
        { key, fingerprint },
        { status: response.status, body: response.body as never },
      );
    } catch (error) {
      throw unavailable('complete', error);
    }
  }

  async abandon(key: string): Promise<void> {
    try {
      await this.persistence.deleteRecord({ key });
    } catch (error) {
      throw unavailable('release', error);
    }
  }
}

function unavailable(what: string, cause: unknown): IdempotencyStoreUnavailableError {
  return new IdempotencyStoreUnavailableError(`the idempotency table failed to ${what} a key`, { cause });
}
