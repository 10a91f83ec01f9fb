import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize, type SynthesizedApp } from '../support/cdk-app.js';

interface Suppression {
  readonly id: string;
  readonly reason: string;
}

let s: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
});

describe('cdk-nag AWS Solutions checks', () => {
  it.each(['stateful', 'stateless'] as const)(
    'report no unsuppressed error or warning on the %s stack',
    (which) => {
      const annotations = Annotations.fromStack(s[which]);
      const findings = [
        ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-')),
        ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-')),
      ].map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`);
      expect(findings).toEqual([]);
    },
  );

  it('has a written reason on every suppression', () => {
    const suppressions: Suppression[] = [];
    for (const template of [s.statefulTemplate, s.statelessTemplate]) {
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
