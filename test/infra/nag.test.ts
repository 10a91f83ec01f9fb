import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { nagFindings, synthesize, withEnvironment, type SynthesizedApp } from '../support/cdk-app.js';

interface Suppression {
  readonly id: string;
  readonly reason: string;
}

let s: SynthesizedApp;
/** The optional Kafka landing path in each of its shapes, on top of dev. */
const kafkaVariants: Record<string, SynthesizedApp> = {};
/** The outbox relay of the user's database (oltp), on top of dev. */
let oltpVariant: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
  const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_elt-AbCdEf';
  const kafka = {
    'msk-serverless': { mode: 'msk-serverless', topic: 'elt-events' },
    'msk-serverless, provisioned': {
      mode: 'msk-serverless',
      topic: 'elt-events',
      provisionedPollers: { minimum: 1, maximum: 5 },
    },
    'self-managed': {
      mode: 'self-managed',
      topic: 'elt-events',
      bootstrapServers: ['b-1.example.com:9096'],
      secretArn,
    },
    'self-managed, provisioned': {
      mode: 'self-managed',
      topic: 'elt-events',
      bootstrapServers: ['b-1.example.com:9096'],
      secretArn,
      authenticationMethod: 'BASIC_AUTH',
      provisionedPollers: { minimum: 1, maximum: 5 },
    },
  };
  for (const [name, block] of Object.entries(kafka))
    kafkaVariants[name] = synthesize(withEnvironment('dev', { kafka: block }));
  oltpVariant = synthesize(
    withEnvironment('dev', {
      oltp: {
        secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-marketplace-AbCdEf',
        kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
    }),
  );
});

const findings = (app: SynthesizedApp, which: 'stateful' | 'stateless'): string[] => nagFindings(app[which]);

describe('cdk-nag AWS Solutions checks', () => {
  it.each(['stateful', 'stateless'] as const)(
    'report no unsuppressed error or warning on the %s stack',
    (which) => {
      expect(findings(s, which)).toEqual([]);
    },
  );

  it.each(
    ['msk-serverless', 'msk-serverless, provisioned', 'self-managed', 'self-managed, provisioned'].flatMap(
      (variant) => (['stateful', 'stateless'] as const).map((which) => [variant, which] as const),
    ),
  )('report no unsuppressed error or warning with Kafka landing (%s) on the %s stack', (variant, which) => {
    expect(findings(kafkaVariants[variant]!, which)).toEqual([]);
  });

  it.each(['stateful', 'stateless'] as const)(
    'report no unsuppressed error or warning with the outbox relay (oltp) on the %s stack',
    (which) => {
      expect(findings(oltpVariant, which)).toEqual([]);
    },
  );

  it('has a written reason on every suppression', () => {
    const suppressions: Suppression[] = [];
    const apps = [s, ...Object.values(kafkaVariants), oltpVariant];
    for (const template of apps.flatMap((app) => [app.statefulTemplate, app.statelessTemplate])) {
      for (const resource of Object.values(
        template.toJSON().Resources as Record<
          string,
          { Metadata?: { cdk_nag?: { rules_to_suppress?: Suppression[] } } }
        >,
      )) {
        suppressions.push(...(resource.Metadata?.cdk_nag?.rules_to_suppress ?? []));
      }
    }
    expect(suppressions.length).toBeGreaterThan(0);
    for (const sup of suppressions) {
      expect(sup.id).toMatch(/^AwsSolutions-/);
      expect(sup.reason.length, `${sup.id}: "${sup.reason}"`).toBeGreaterThanOrEqual(40);
    }
  });

  it('fails the findings a suppression does not cover (the check is live)', () => {
    // A bucket added without the house settings must be reported: proof the aspect runs in the tests.
    const app = new App();
    const stack = new Stack(app, 'Probe');
    new s3.Bucket(stack, 'Plain');
    Aspects.of(app).add(new AwsSolutionsChecks());
    app.synth();
    const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-S10'));
    expect(errors.length).toBeGreaterThan(0);
  });
});
