import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../lib/package-paths.js';
import { LANDING_THREAD_POOL_SIZE, withLandingThreadPool } from '../../lib/local/thread-pool.js';

describe('the landing’s thread pool', () => {
  it('defaults UV_THREADPOOL_SIZE in a child’s environment, and leaves a value already set', () => {
    expect(withLandingThreadPool({ PATH: '/bin' })).toEqual({
      PATH: '/bin',
      UV_THREADPOOL_SIZE: String(LANDING_THREAD_POOL_SIZE),
    });
    expect(withLandingThreadPool({ UV_THREADPOOL_SIZE: '4' }).UV_THREADPOOL_SIZE).toBe('4');
  });

  it('is sized by the CommonJS launcher with the same number, before the CLI is imported', () => {
    const launcher = readFileSync(join(packageRoot(), 'bin', 'elt.cjs'), 'utf8');
    const setting = launcher.indexOf(`process.env.UV_THREADPOOL_SIZE ??= '${LANDING_THREAD_POOL_SIZE}';`);
    expect(setting).toBeGreaterThan(0);
    expect(setting).toBeLessThan(launcher.indexOf('import('));
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin.elt).toBe('bin/elt.cjs');
  });
});
