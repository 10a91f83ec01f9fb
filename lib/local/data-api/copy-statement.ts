import { EltError } from '../../core/util/errors.js';
/**
 * Redshift's COPY from S3, as far as a local Data API endpoint needs to play it: the statement is parsed
 * and the objects it names are read (through an S3 endpoint or a local directory standing in for a
 * bucket), so that product code issues the real COPY text.
 * @see https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html
 */

/** A parsed `COPY <table> FROM 's3://…' … FORMAT JSON …` statement. */
export interface CopyStatement {
  readonly table: string;
  readonly columns?: readonly string[];
  readonly bucket: string;
  readonly key: string;
  readonly manifest: boolean;
  readonly gzip: boolean;
  /** `noshred`: each JSON object into the table's one column; `auto`: keys matched to column names. */
  readonly jsonMode: 'noshred' | 'auto';
}

/** A COPY the endpoint cannot play; the message is what Redshift would say, or why it is unsupported. */
export class CopyStatementError extends EltError {
  constructor(message: string) {
    super(message);
  }
}

const COPY =
  /^\s*COPY\s+([A-Za-z_][A-Za-z0-9_.]*)\s*(\(([^)]*)\))?\s+FROM\s+'(s3:\/\/[^']+)'\s+(.*?)\s*;?\s*$/is;

/** Whether a statement is a COPY (of any form). */
export function isCopy(sql: string): boolean {
  return /^\s*COPY\s/i.test(sql);
}

/** Parses the COPY forms the pipeline uses: JSON (`noshred` or `auto`), optionally GZIP and MANIFEST. */
export function parseCopy(sql: string): CopyStatement {
  const m = COPY.exec(sql);
  if (!m)
    throw new CopyStatementError(
      "COPY must read FROM 's3://bucket/key' (the local endpoint plays COPY from S3 only)",
    );
  const options = m[5]!;
  if (!/\bIAM_ROLE\s+('[^']*'|default)/i.test(options) && !/\bCREDENTIALS\s+'/i.test(options)) {
    throw new CopyStatementError('COPY from S3 needs credentials: IAM_ROLE or CREDENTIALS');
  }
  const json = /\bFORMAT\s+(?:AS\s+)?JSON\s+'([^']*)'/i.exec(options);
  if (!json || (json[1]!.toLowerCase() !== 'noshred' && json[1]!.toLowerCase() !== 'auto')) {
    throw new CopyStatementError("the local endpoint plays COPY … FORMAT JSON 'noshred' or 'auto' only");
  }
  const url = /^s3:\/\/([^/]+)\/(.*)$/.exec(m[4]!);
  if (!url) throw new CopyStatementError(`not an S3 URL: ${m[4]}`);
  return {
    table: m[1]!,
    ...(m[3] ? { columns: m[3].split(',').map((c) => c.trim()) } : {}),
    bucket: url[1]!,
    key: url[2]!,
    manifest: /\bMANIFEST\b/i.test(options),
    gzip: /\bGZIP\b/i.test(options),
    jsonMode: json[1]!.toLowerCase() as 'noshred' | 'auto',
  };
}

/** The S3 objects a COPY reads, given a way to read one and to list a prefix. */
export async function copySources(
  copy: CopyStatement,
  read: (bucket: string, key: string) => Promise<Uint8Array>,
  list: (bucket: string, prefix: string) => Promise<string[]>,
): Promise<{ bucket: string; key: string }[]> {
  if (!copy.manifest) {
    const keys = await list(copy.bucket, copy.key);
    if (keys.length === 0)
      throw new CopyStatementError(`The specified S3 prefix '${copy.key}' does not exist`);
    return keys.map((key) => ({ bucket: copy.bucket, key }));
  }
  let manifest: { entries?: { url?: string; mandatory?: boolean }[] };
  try {
    manifest = JSON.parse(Buffer.from(await read(copy.bucket, copy.key)).toString('utf8')) as typeof manifest;
  } catch (error) {
    throw new CopyStatementError(
      `Manifest file s3://${copy.bucket}/${copy.key} is not valid: ${(error as Error).message}`,
    );
  }
  return (manifest.entries ?? []).map((e) => {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(e.url ?? '');
    if (!m) throw new CopyStatementError(`Manifest entry has no valid url: ${JSON.stringify(e)}`);
    return { bucket: m[1]!, key: m[2]! };
  });
}
