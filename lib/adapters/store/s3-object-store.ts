import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { assertListPrefix, assertSafeKey, ObjectStoreLocationError } from '../../core/landing/object-keys.js';
import type { ListOptions, ObjectInfo, ObjectStore, PutObjectOptions } from '../../core/ports.js';

/** Options of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  readonly bucket: string;
  /** A key prefix inside the bucket, e.g. `pipeline/`. @default '' */
  readonly prefix?: string;
  /** A ready client; otherwise one is made from the default credential chain and `AWS_ENDPOINT_URL`. */
  readonly client?: S3Client;
  /** Path-style addressing, which LocalStack and other local endpoints need. @default false */
  readonly forcePathStyle?: boolean;
}

/**
 * Objects in an S3 bucket. The client honours the SDK's standard configuration (credentials chain,
 * region, `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_S3`), so the same adapter serves AWS and LocalStack.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    if (this.prefix && !this.prefix.endsWith('/'))
      throw new ObjectStoreLocationError(`S3 prefix must end with "/": ${this.prefix}`);
    const config: S3ClientConfig = options.forcePathStyle ? { forcePathStyle: true } : {};
    this.client = options.client ?? new S3Client(config);
  }

  /** Parses `s3://bucket[/prefix/]`. */
  static fromUrl(url: string, options: Omit<S3ObjectStoreOptions, 'bucket' | 'prefix'> = {}): S3ObjectStore {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
    if (!m) throw new ObjectStoreLocationError(`not an S3 URL (s3://bucket[/prefix/]): ${url}`);
    const rest = m[2] ?? '';
    return new S3ObjectStore({
      ...options,
      bucket: m[1]!,
      prefix: rest && !rest.endsWith('/') ? `${rest}/` : rest,
    });
  }

  describe(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  async put(key: string, body: Uint8Array, options: PutObjectOptions = {}): Promise<void> {
    assertSafeKey(key);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + key,
        Body: body,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...(options.contentEncoding ? { ContentEncoding: options.contentEncoding } : {}),
      }),
    );
  }

  async get(key: string): Promise<Uint8Array> {
    assertSafeKey(key);
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    if (!out.Body) throw new Error(`s3://${this.bucket}/${this.prefix}${key} has no body`);
    return out.Body.transformToByteArray();
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const startAfter = options.startAfter ? { StartAfter: this.prefix + options.startAfter } : {};
    for await (const page of this.pages({ Prefix: this.prefix + prefix, ...startAfter })) {
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield {
          key: o.Key.slice(this.prefix.length),
          size: o.Size ?? 0,
          ...(o.LastModified ? { lastModified: o.LastModified } : {}),
        };
      }
    }
  }

  async *listPrefixes(prefix: string): AsyncIterable<string> {
    assertListPrefix(prefix);
    for await (const page of this.pages({ Prefix: this.prefix + prefix, Delimiter: '/' })) {
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) yield p.Prefix.slice(this.prefix.length);
    }
  }

  /** Every page of a listing; StartAfter goes with the first request only, the token after it. */
  private async *pages(
    input: Omit<ListObjectsV2CommandInput, 'Bucket' | 'ContinuationToken'>,
  ): AsyncIterable<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const { StartAfter, ...rest } = input;
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          ...rest,
          ...(token ? { ContinuationToken: token } : StartAfter ? { StartAfter } : {}),
        }),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
