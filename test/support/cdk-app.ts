import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type EltStacks } from '../../lib/infra/app.js';
import { packageRoot } from '../../lib/package-paths.js';

/** The context of cdk.json, as `cdk synth` would pass it. */
export function cdkJsonContext(): Record<string, unknown> {
  const json = JSON.parse(readFileSync(join(packageRoot(), 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return json.context;
}

/** The app and its templates. */
export interface SynthesizedApp extends EltStacks {
  readonly app: App;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
}

/**
 * Builds the app as `npx cdk synth -c account=123456789012 -c region=eu-west-1` would, with extra context.
 * Lambda bundling is skipped unless `bundle` is set: these tests look at templates, not code.
 */
export function synthesize(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): SynthesizedApp {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      account: '123456789012',
      region: 'eu-west-1',
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const stacks = buildApp(app);
  return {
    ...stacks,
    app,
    statefulTemplate: Template.fromStack(stacks.stateful),
    statelessTemplate: Template.fromStack(stacks.stateless),
  };
}

/**
 * Context that replaces one block of cdk.json's `elt:environments` with that block plus `patch` (keys of
 * `patch` win), for `synthesize(withEnvironment('dev', { kafka: … }))`: the other blocks stay as they are.
 */
export function withEnvironment(
  envName: string,
  patch: Record<string, unknown>,
): { 'elt:environments': Record<string, unknown> } {
  const environments = cdkJsonContext()['elt:environments'] as Record<string, Record<string, unknown>>;
  const block = environments[envName];
  if (!block) throw new Error(`withEnvironment: cdk.json has no environment "${envName}"`);
  return { 'elt:environments': { ...environments, [envName]: { ...block, ...patch } } };
}
