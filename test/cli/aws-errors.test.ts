import { describe, expect, it } from 'vitest';
import { explainAwsError, isLocalEndpoint } from '../../lib/cli/aws-errors.js';
import { CliError } from '../../lib/cli/output.js';

describe('explainAwsError', () => {
  it('turns the SDK\'s "Region is missing" into the step that sets one', () => {
    const explained = explainAwsError(
      new Error('Region is missing'),
      'eventbridge',
      'publishing to eventbridge:elt-local-bus',
    );
    expect(explained).toBeInstanceOf(CliError);
    expect((explained as CliError).message).toBe(
      'publishing to eventbridge:elt-local-bus: no AWS Region is set. For LocalStack: eval "$(scripts/services/localstack.sh env)"; for AWS: set AWS_REGION or a profile\'s region.',
    );
  });

  it.each([
    ['http://127.0.0.1:4566', 'Is LocalStack running there? Start it with: npm run localstack:up'],
    ['http://127.0.0.1:4567', 'Is MiniStack running there? Start it with: npm run emulator:up'],
  ])('names the emulator usually on %s when it does not answer', (endpoint, hint) => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = endpoint;
    try {
      const explained = explainAwsError(refused, 'eventbridge', 'publishing') as CliError;
      expect(explained).toBeInstanceOf(CliError);
      expect(explained.message).toBe(
        `publishing: cannot reach ${endpoint} (ECONNREFUSED). ${hint} (it listens on ${endpoint.slice(7)}), or fix AWS_ENDPOINT_URL.`,
      );
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
  });

  it('returns any other error unchanged', () => {
    const error = new Error('AccessDeniedException');
    expect(explainAwsError(error, 'eventbridge', 'publishing')).toBe(error);
  });
});

describe('isLocalEndpoint', () => {
  it.each([
    ['http://127.0.0.1:4566', true],
    ['http://localhost:4566/', true],
    ['http://[::1]:4566', true],
    ['https://events.eu-west-1.amazonaws.com', false],
    ['http://127.0.0.1.example.com', false],
    [undefined, false],
  ])('%s is local: %s', (endpoint, local) => {
    expect(isLocalEndpoint(endpoint)).toBe(local);
  });
});
