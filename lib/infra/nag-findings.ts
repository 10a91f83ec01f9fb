/**
 * cdk-nag `appliesTo` patterns for findings this project suppresses on purpose. A bucket ARN shows up in
 * a finding either as `<RawBucketF4E29A3F.Arn>` (same stack) or as the name of a cross-stack export
 * (`elt-dev-stateful:ExportsOutputFnGetAttRawBucket…Arn…`), depending on when the check runs; the
 * patterns accept both and nothing wider than the named key prefixes.
 */
export function objectsUnderPrefixes(...prefixes: readonly string[]): { regex: string } {
  const names = prefixes.map((p) => p.replace(/\/$/, '')).join('|');
  return {
    regex: `/^Resource::(<[A-Za-z0-9]*Bucket[A-Za-z0-9]*\\.Arn>|[A-Za-z0-9-]+:ExportsOutputFnGetAtt[A-Za-z0-9]*Bucket[A-Za-z0-9]*)\\/(${names})\\/\\*$/g`,
  };
}

/**
 * The pattern for every object of one bucket, the bucket named by the start of its logical id (e.g.
 * `KafkaFailuresBucket`), in either form {@link objectsUnderPrefixes} describes.
 */
export function allObjectsOfBucket(logicalIdStart: string): { regex: string } {
  return {
    regex: `/^Resource::(<${logicalIdStart}[A-Za-z0-9]*\\.Arn>|[A-Za-z0-9-]+:ExportsOutputFnGetAtt${logicalIdStart}[A-Za-z0-9]*)\\/\\*$/g`,
  };
}
