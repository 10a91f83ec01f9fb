import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { DataApiServer } from '../../lib/local/data-api/server.js';
import { objectReader } from '../../lib/local/data-api/object-readers.js';

/** A local Data API endpoint over a PostgreSQL database, and a real SDK client pointed at it. */
export interface LocalDataApi {
  readonly endpoint: string;
  readonly client: RedshiftDataClient;
  close(): Promise<void>;
}

/** Starts an endpoint on a free port. `bucketDirs` maps bucket names to directories for COPY. */
export async function startDataApi(
  postgresUrl: string,
  options: { bucketDirs?: Record<string, string>; pageSize?: number } = {},
): Promise<LocalDataApi> {
  const server = new DataApiServer({
    postgresUrl,
    objects: objectReader({ bucketDirs: options.bucketDirs ?? {} }),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  const endpoint = await server.listen(0);
  const client = new RedshiftDataClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}
