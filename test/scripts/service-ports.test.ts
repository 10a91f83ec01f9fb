import { execFile } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../lib/package-paths.js';
import { useTempDirs } from '../support/temp-dir.js';

const exec = promisify(execFile);
const tempDir = useTempDirs();

// A server the scripts did not start holds the port: a plain TCP server that hangs up on every connection,
// so it answers neither as PostgreSQL, nor as LocalStack, nor as Kafka.
let held: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (held ? held.close(resolve) : resolve(undefined)));
  held = undefined;
});

async function holdAPort(): Promise<number> {
  held = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => held!.listen(0, '127.0.0.1', resolve));
  return (held.address() as AddressInfo).port;
}

describe('scripts/services/*.sh up on a port held by a server they did not start', () => {
  it.each([
    ['postgres.sh', 'ELT_PG_PORT', 'ELT_PG_HOME'],
    ['localstack.sh', 'ELT_LOCALSTACK_PORT', 'ELT_LOCALSTACK_HOME'],
    ['kafka.sh', 'ELT_KAFKA_PORT', 'ELT_KAFKA_HOME'],
  ])(
    '%s refuses, says it did not start what holds the port, and names %s',
    async (script, portVar, homeVar) => {
      const port = await holdAPort();
      const result = await exec(join(packageRoot(), 'scripts', 'services', script), ['up'], {
        env: { ...process.env, [portVar]: String(port), [homeVar]: await tempDir() },
        timeout: 60_000,
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(result.code).toBe(3);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`127.0.0.1:${port}`);
      expect(result.stderr).toContain('this script did not start it');
      expect(result.stderr).toContain(`set ${portVar}`);
    },
  );
});
