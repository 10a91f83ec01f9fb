// The CDK app: `npx cdk synth` / `npx cdk deploy --all` (see README, "Deploy to AWS").
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/infra/app.js';
import { EltError } from '../lib/core/util/errors.js';

try {
  buildApp(new App());
} catch (error) {
  // A configuration the app refuses is the user's to fix: its message says what, and a stack trace of the
  // app's own code would only bury it. Anything else is a defect, and keeps its trace.
  if (!(error instanceof EltError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
