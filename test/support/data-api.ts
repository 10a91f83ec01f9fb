import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { DataApiServer } from '../../lib/local/data-api/server.js';
import { objectReader } from '../../lib/local/data-api/object-readers.js';

/** A local Data API endpoint over a PostgreSQL database, and real SDK clients pointed at it. */
export interface LocalDataApi {
  readonly endpoint: string;
  /** A client signing with the access key `local`: it runs as the database user `IAM:local`. */
  readonly client: RedshiftDataClient;
  /** A client signing with this access key (closed with the endpoint). */
  clientAs(accessKeyId: string): RedshiftDataClient;
  close(): Promise<void>;
}

/** Options of {@link startDataApi}: those of the endpoint a test sets. */
export interface LocalDataApiOptions {
  /** Bucket names to directories, for COPY. */
  readonly bucketDirs?: Record<string, string>;
  readonly pageSize?: number;
  /** Access key id → IAM ARN (see DataApiServerOptions.identities). */
  readonly identities?: Record<string, string>;
  /** Secret ARN → database user (see DataApiServerOptions.secrets). */
  readonly secrets?: Record<string, string>;
  readonly maxResultBytes?: number;
}

/** Starts an endpoint on a free port. */
export async function startDataApi(
  postgresUrl: string,
  options: LocalDataApiOptions = {},
): Promise<LocalDataApi> {
  const server = new DataApiServer({
    postgresUrl,
    objects: objectReader({ bucketDirs: options.bucketDirs ?? {} }),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    ...(options.identities ? { identities: options.identities } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.maxResultBytes !== undefined ? { maxResultBytes: options.maxResultBytes } : {}),
  });
  const endpoint = await server.listen(0);
  const clients: RedshiftDataClient[] = [];
  const clientAs = (accessKeyId: string): RedshiftDataClient => {
    const c = new RedshiftDataClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId, secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    clients.push(c);
    return c;
  };
  return {
    endpoint,
    client: clientAs('local'),
    clientAs,
    close: async () => {
      for (const c of clients) c.destroy();
      await server.close();
    },
  };
}
