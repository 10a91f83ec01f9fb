/**
 * A complete EventBridge event envelope (every field `TestEventPattern` requires, plus `version`,
 * `resources` and `detail`), with `fields` replacing or adding top-level fields.
 */
export function envelope(fields: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '111122223333',
    time: '2017-12-22T18:43:48Z',
    region: 'us-west-1',
    resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
    detail: {},
    ...fields,
  };
}

/** A complete envelope whose `detail` is `detail`. */
export function withDetail(
  detail: unknown,
  fields: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return envelope({ ...fields, detail });
}
