import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EltFunction, type EltFunctionProps } from '../../../lib/infra/constructs/elt-function.js';
import { resourcesOf, synthesize, type SynthesizedApp } from '../../support/cdk-app.js';

let s: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
});

describe('stateless stack: landing', () => {
  it('runs the landing function on nodejs22.x, arm64, with JSON logs into its own log group', () => {
    s.statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 60,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^LandingLogs') } },
      Environment: {
        Variables: Match.objectLike({ RAW_BUCKET: Match.anyValue(), POWERTOOLS_SERVICE_NAME: 'elt-landing' }),
      },
    });
    s.statelessTemplate.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });

  it('every function of the pipeline uses the same runtime and architecture', () => {
    const fns = Object.values(resourcesOf(s.statelessTemplate, 'AWS::Lambda::Function'));
    expect(fns.length).toBe(9);
    for (const f of fns)
      expect([f.Properties.Runtime, f.Properties.Architectures]).toEqual(['nodejs22.x', ['arm64']]);
  });
});

describe('EltFunction', () => {
  /** A function in a fresh stack whose bundling is skipped (the template is what is looked at). */
  const make = (props: Partial<EltFunctionProps> = {}): Template => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    new EltFunction(stack, 'Fn', {
      handler: 'land',
      description: 'a test function',
      serviceName: 'elt-test',
      metricsNamespace: 'Test',
      logRetention: logs.RetentionDays.ONE_DAY,
      ...props,
    });
    return Template.fromStack(stack);
  };

  it('gives every function the Powertools service and namespace and source maps, then its own variables', () => {
    make({ environment: { RAW_BUCKET: 'raw' } }).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'elt-test',
          POWERTOOLS_METRICS_NAMESPACE: 'Test',
          NODE_OPTIONS: '--enable-source-maps',
          RAW_BUCKET: 'raw',
        },
      },
    });
  });

  it("bundles a folder's index.ts (land) or a module file (land/kafka, elt/plan) of lambdas/", () => {
    for (const handler of ['land', 'land/kafka', 'elt/plan']) {
      make({ handler }).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler' });
    }
    expect(() => make({ handler: 'no-such-function' })).toThrow(/no-such-function\.ts/);
  });

  it('refuses a handler that is not a module path under lambdas/', () => {
    for (const handler of ['../land', 'land.ts', '/land', 'Land']) {
      expect(() => make({ handler })).toThrow(
        `EltFunction: handler must be a module path under lambdas/ such as "land" or "elt/plan", got "${handler}"`,
      );
    }
  });
});
