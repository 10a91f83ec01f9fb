import type { ObjectInfo, ObjectStore, PutObjectOptions } from '../../lib/core/ports.js';

/**
 * An object store whose writes fail while `failing` says so, with `message` as the error; reads and
 * listings go to the real store. It has no `localPath`, like a remote store.
 */
export class FlakyStore implements ObjectStore {
  constructor(
    private readonly inner: ObjectStore,
    readonly failing: (key: string) => boolean,
    private readonly message: (key: string) => string = (key) => `disk full writing ${key}`,
  ) {}

  async put(key: string, body: Uint8Array, options?: PutObjectOptions): Promise<void> {
    if (this.failing(key)) throw new Error(this.message(key));
    await this.inner.put(key, body, options);
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
    return `flaky ${this.inner.describe()}`;
  }
}
