// The CDK app: `npx cdk synth` / `npx cdk deploy --all` (see README, "Deploy to AWS").
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/infra/app.js';

buildApp(new App());
