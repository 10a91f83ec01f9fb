import { CliError } from './output.js';

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ETIMEDOUT',
]);

/** Whether an endpoint is on this machine (LocalStack, an emulator), not AWS. */
export function isLocalEndpoint(endpoint: string | undefined): boolean {
  return endpoint !== undefined && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(endpoint);
}

/** The endpoint the SDK talks to for a service: its `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`. */
export function awsEndpoint(service: string): string | undefined {
  const env = process.env;
  return env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] ?? env.AWS_ENDPOINT_URL;
}

/** The emulators the repository starts, by their default port (scripts/services/*.sh). */
const EMULATORS: readonly { port: string; name: string; start: string }[] = [
  { port: '4566', name: 'LocalStack', start: 'npm run localstack:up' },
  { port: '4567', name: 'MiniStack', start: 'npm run emulator:up' },
];

/** What to start for a local endpoint that does not answer: the emulator usually on its port. */
function localEmulatorHint(endpoint: string): string {
  const port = /:(\d+)(\/|$)/.exec(endpoint.replace(/^https?:\/\//, ''))?.[1];
  const known = EMULATORS.find((e) => e.port === port) ?? EMULATORS[0]!;
  return `Is ${known.name} running there? Start it with: ${known.start} (it listens on 127.0.0.1:${known.port}), or fix AWS_ENDPOINT_URL.`;
}

/**
 * Turns the SDK errors a user can fix by themselves into one clear line: an endpoint that does not answer
 * (LocalStack not started, a wrong port) and missing credentials. Anything else is returned unchanged.
 */
export function explainAwsError(error: unknown, service: string, what: string): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
  const endpoint = awsEndpoint(service);
  if ((code && UNREACHABLE.has(code)) || error.name === 'TimeoutError') {
    const hint = isLocalEndpoint(endpoint)
      ? localEmulatorHint(endpoint!)
      : endpoint
        ? 'Check AWS_ENDPOINT_URL.'
        : 'Check the network and AWS_REGION.';
    return new CliError(
      `${what}: cannot reach ${endpoint ?? `the AWS ${service} endpoint`} (${code ?? error.name}). ${hint}`,
      { cause: error },
    );
  }
  if (/^Region is missing/.test(error.message)) {
    return new CliError(
      `${what}: no AWS Region is set. For LocalStack: eval "$(scripts/services/localstack.sh env)"; for AWS: set AWS_REGION or a profile's region.`,
      { cause: error },
    );
  }
  if (error.name === 'CredentialsProviderError') {
    return new CliError(
      `${what}: no AWS credentials found. For LocalStack: eval "$(scripts/services/localstack.sh env)"; for AWS: configure a profile or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.`,
      { cause: error },
    );
  }
  return error;
}
