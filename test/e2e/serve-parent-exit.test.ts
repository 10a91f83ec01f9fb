import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../lib/package-paths.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function healthy(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/health`).then(
    (r) => r.ok,
    () => false,
  );
}

describe('elt serve started by a wrapper', () => {
  it('exits when the wrapper that started it is killed (as `kill $!` after `npx elt serve &` does), freeing its port', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'elt-serve-parent-'));
    const port = await freePort();
    // A wrapper that, like npx, starts elt serve as its child and does not pass signals on.
    const wrapper = spawn(
      'sh',
      ['-c', `node --import tsx bin/elt.ts serve --port ${port} --data-dir '${dir}/data' & wait`],
      {
        cwd: packageRoot(),
        env: { ...process.env, ELT_INGEST_TOKEN: 'a-token-of-at-least-16-chars' },
        detached: true,
        stdio: 'ignore',
      },
    );
    try {
      const started = Date.now();
      while (!(await healthy(port))) {
        if (Date.now() - started > 60_000) throw new Error('elt serve did not start within 60 s');
        await sleep(200);
      }
      wrapper.kill('SIGTERM');
      const killed = Date.now();
      while ((await healthy(port)) && Date.now() - killed < 15_000) await sleep(200);
      expect(await healthy(port)).toBe(false);
    } finally {
      try {
        process.kill(-wrapper.pid!, 'SIGKILL');
      } catch {
        // The group is gone: elt serve exited, as it should.
      }
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
