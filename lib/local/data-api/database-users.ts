import { EltError } from '../../core/util/errors.js';
/**
 * Who a Data API request runs as in the database, as Redshift decides it: an IAM role `R` (or a session of
 * it) is the database user `IAMR:R`, an IAM user `U` is `IAM:U`, a Secrets Manager secret is the user whose
 * credentials it holds, and `ClusterIdentifier` + `DbUser` is that user ("the database user is mapped 1:1
 * to the source IAM identity").
 * @see https://docs.aws.amazon.com/redshift/latest/APIReference/API_GetClusterCredentialsWithIAM.html
 */

/** A caller identity or mapping the endpoint cannot use; the message says which and why. */
export class DataApiIdentityError extends EltError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

// IAM names: letters, digits and +=,.@_- (role and user names 1–64, paths of the same characters and /).
const IAM_NAME = '[\\w+=,.@-]{1,64}';
const PARTITION = 'arn:aws[a-z-]*';
const ROLE_ARN = new RegExp(`^${PARTITION}:iam::\\d{12}:role/(?:[\\w+=,.@/-]*/)?(${IAM_NAME})$`);
const USER_ARN = new RegExp(`^${PARTITION}:iam::\\d{12}:user/(?:[\\w+=,.@/-]*/)?(${IAM_NAME})$`);
const ASSUMED_ROLE_ARN = new RegExp(
  `^${PARTITION}:sts::\\d{12}:assumed-role/(${IAM_NAME})/[\\w+=,.@-]{2,64}$`,
);
const SECRET_ARN = new RegExp(`^${PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[\\w/+=.@-]+$`);
// Access key ids are letters and digits (AKIA…, ASIA…, or anything a local client chooses).
const ACCESS_KEY_ID = /^[A-Za-z0-9]{1,128}$/;
// PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes, so a longer user would not be the one named.
const MAX_ROLE_BYTES = 63;

/** The database user of an IAM identity: `IAMR:<role>` for a role or its sessions, `IAM:<user>` for a user. */
export function databaseUserOfArn(arn: string): string {
  const role = ROLE_ARN.exec(arn) ?? ASSUMED_ROLE_ARN.exec(arn);
  if (role) return roleName(`IAMR:${role[1]!}`, arn);
  const user = USER_ARN.exec(arn);
  if (user) return roleName(`IAM:${user[1]!}`, arn);
  throw new DataApiIdentityError(
    `${JSON.stringify(arn)} is not an IAM role, IAM user or assumed-role ARN (arn:aws:iam::<account>:role/<name>, arn:aws:iam::<account>:user/<name>, arn:aws:sts::<account>:assumed-role/<role>/<session>)`,
  );
}

/** The database user of an access key that no identity maps: `IAM:<access key id>`. */
export function databaseUserOfAccessKey(accessKeyId: string): string {
  checkAccessKeyId(accessKeyId);
  return roleName(`IAM:${accessKeyId}`, `access key ${accessKeyId}`);
}

/** Throws unless `accessKeyId` is an access key id (letters and digits). */
export function checkAccessKeyId(accessKeyId: string): void {
  if (!ACCESS_KEY_ID.test(accessKeyId))
    throw new DataApiIdentityError(
      `${JSON.stringify(accessKeyId)} is not an access key id (1 to 128 letters and digits)`,
    );
}

/** Throws unless `arn` is a Secrets Manager secret ARN. */
export function checkSecretArn(arn: string): void {
  if (!SECRET_ARN.test(arn))
    throw new DataApiIdentityError(
      `${JSON.stringify(arn)} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`,
    );
}

/** A database user name given as is (a secret's user, `DbUser`): one PostgreSQL can hold unchanged. */
export function roleName(name: string, source = name): string {
  if (name === '' || name.includes('\0'))
    throw new DataApiIdentityError(`${JSON.stringify(source)} gives no usable database user name`);
  if (Buffer.byteLength(name) > MAX_ROLE_BYTES)
    throw new DataApiIdentityError(
      `the database user ${JSON.stringify(name)} of ${source} is longer than ${MAX_ROLE_BYTES} bytes, which PostgreSQL cannot hold (Redshift allows 127): the local endpoint cannot play it`,
    );
  return name;
}

/** A PostgreSQL quoted identifier: the names contain `:`, and their case is kept. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
