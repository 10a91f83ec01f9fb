import { S3Client } from '@aws-sdk/client-s3';
import { FsObjectStore } from '../../adapters/store/fs-object-store.js';
import { S3ObjectStore } from '../../adapters/store/s3-object-store.js';
import type { ObjectStore } from '../../core/ports.js';
import { CopyStatementError } from './copy-statement.js';
import type { ObjectReader } from './statement-runner.js';

/**
 * Where COPY finds a bucket's objects: a local directory per bucket name (`--bucket-dir name=dir`), or
 * any other bucket through an S3 endpoint (`--s3-endpoint`, e.g. LocalStack).
 */
export function objectReader(options: {
  readonly bucketDirs?: Readonly<Record<string, string>>;
  readonly s3Endpoint?: string;
}): ObjectReader {
  const stores = new Map<string, ObjectStore>();
  for (const [bucket, dir] of Object.entries(options.bucketDirs ?? {}))
    stores.set(bucket, new FsObjectStore(dir));
  const s3 = options.s3Endpoint ? s3ForEndpoint(options.s3Endpoint) : undefined;
  const store = (bucket: string): ObjectStore => {
    let s = stores.get(bucket);
    if (!s) {
      if (!s3)
        throw new CopyStatementError(
          `S3ServiceException: the bucket ${bucket} is not mapped to a directory and no S3 endpoint is configured`,
        );
      s = new S3ObjectStore({ bucket, client: s3 });
      stores.set(bucket, s);
    }
    return s;
  };
  return {
    read: (bucket, key) => store(bucket).get(key),
    list: async (bucket, prefix) => {
      const keys: string[] = [];
      for await (const o of store(bucket).list(prefix)) keys.push(o.key);
      return keys.sort();
    },
  };
}

/**
 * A client of an S3-compatible endpoint (an emulator): the Region configured for the SDK when there is one,
 * else us-east-1, which emulators accept; a COPY must not fail with "Region is missing" for a setting the
 * endpoint ignores.
 */
function s3ForEndpoint(endpoint: string): S3Client {
  const configured = new S3Client({});
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: async () => {
      try {
        return await configured.config.region();
      } catch {
        return 'us-east-1';
      }
    },
  });
}
