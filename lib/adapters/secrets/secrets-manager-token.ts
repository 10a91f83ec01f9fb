import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { checkIngestToken, tokenDigest, type BearerToken } from '../../core/ingest/bearer-token.js';

/** Options of {@link secretsManagerToken}. */
export interface SecretsManagerTokenOptions {
  /** The secret whose SecretString is the token. */
  readonly secretArn: string;
  /** How long a fetched token is kept: a rotated token is accepted within this long without a redeploy. */
  readonly cacheSeconds: number;
  readonly client?: SecretsManagerClient;
}

/**
 * The ingest token held in Secrets Manager, fetched on first use and kept for the cache time (Powertools'
 * SecretsProvider). A secret that is not a string of at least 16 characters rejects like an unreadable one.
 */
export function secretsManagerToken(options: SecretsManagerTokenOptions): BearerToken {
  const secrets = new SecretsProvider(options.client ? { awsSdkV3Client: options.client } : {});
  return {
    async digest() {
      const token = await secrets.get(options.secretArn, { maxAge: options.cacheSeconds });
      return tokenDigest(checkIngestToken(token, 'the ingest token secret (its SecretString)'));
    },
  };
}
