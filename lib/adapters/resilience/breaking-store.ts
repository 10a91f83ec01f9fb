import type { ObjectInfo, ObjectStore, PutObjectOptions } from '../../core/ports.js';
import type { Breaker } from './circuit-breaker.js';

/**
 * An object store whose writes go through a circuit breaker: while the store keeps failing (S3 answering
 * 500/503, timing out), writes fail at once instead of each waiting out its own retries, and the caller
 * backs off; one probe write at a time tests whether it is back.
 */
export class BreakingStore implements ObjectStore {
  constructor(
    private readonly inner: ObjectStore,
    readonly breaker: Breaker,
  ) {}

  put(key: string, body: Uint8Array, options?: PutObjectOptions): Promise<void> {
    return this.breaker.run(() => this.inner.put(key, body, options));
  }

  get(key: string): Promise<Uint8Array> {
    return this.inner.get(key);
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  describe(): string {
    return this.inner.describe();
  }
}
