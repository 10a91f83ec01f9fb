import type { App } from 'aws-cdk-lib';
import { Aspects, Tags } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig, type EltConfig } from './config.js';
import { EltStatefulStack } from './stateful-stack.js';
import { EltStatelessStack } from './stateless-stack.js';

/** The two stacks of one environment. */
export interface EltStacks {
  readonly config: EltConfig;
  readonly stateful: EltStatefulStack;
  readonly stateless: EltStatelessStack;
}

/**
 * Builds the pipeline's stacks for the environment the context selects, with the cdk-nag AWS Solutions
 * checks applied (an unsuppressed finding is an error that fails synthesis).
 */
export function buildApp(app: App): EltStacks {
  const config = loadConfig(app);
  const env = { account: config.account, region: config.region };
  const prefix = `elt-${config.envName}`;
  const stateful = new EltStatefulStack(app, `${prefix}-stateful`, {
    env,
    config,
    description: 'serverless-elt: event bus, landing queue, raw bucket, Redshift Serverless (holds data)',
    terminationProtection: !config.rawBucket.destroyOnRemoval,
  });
  const stateless = new EltStatelessStack(app, `${prefix}-stateless`, {
    env,
    config,
    stateful: stateful.resources,
    description: 'serverless-elt: landing function, ELT workflow and schedule, alarms, dashboard',
  });
  stateless.addStackDependency(stateful);
  Tags.of(app).add('project', 'serverless-elt');
  Tags.of(app).add('environment', config.envName);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { config, stateful, stateless };
}
