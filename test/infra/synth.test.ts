import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../lib/package-paths.js';

const exec = promisify(execFile);
let out: string;
let synth: { stdout: string; stderr: string };

// The real command a user runs, offline: no AWS credentials and no Docker (CDK_DOCKER points at a
// program that always fails, so any attempt to bundle in a container would break the synth).
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'elt-cdk-out-'));
  const { CDK_DEFAULT_ACCOUNT: _a, CDK_DEFAULT_REGION: _r, AWS_PROFILE: _p, ...env } = process.env;
  synth = await exec(
    'npx',
    ['cdk', 'synth', '--all', '--quiet', '-o', out, '-c', 'account=123456789012', '-c', 'region=eu-west-1'],
    {
      cwd: packageRoot(),
      env: { ...env, CDK_DOCKER: '/bin/false', AWS_EC2_METADATA_DISABLED: 'true' },
      maxBuffer: 16 << 20,
    },
  );
}, 240_000);

afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('npx cdk synth', () => {
  it('writes both templates and bundles every function with the local esbuild', async () => {
    const files = await readdir(out);
    expect(files).toEqual(
      expect.arrayContaining(['elt-dev-stateful.template.json', 'elt-dev-stateless.template.json']),
    );
    const assets = JSON.parse(await readFile(join(out, 'elt-dev-stateless.assets.json'), 'utf8')) as {
      files: Record<string, unknown>;
    };
    const bundles = files.filter((f) => f.startsWith('asset.'));
    expect(bundles.length).toBeGreaterThanOrEqual(7);
    expect(Object.keys(assets.files).length).toBeGreaterThanOrEqual(7);
    expect(synth.stderr).not.toMatch(/docker/i);
  });

  it('passes cfn-lint on every template', async () => {
    const templates = (await readdir(out))
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => join(out, f));
    const result = await exec(join(packageRoot(), 'scripts', 'tools', 'cfn-lint.sh'), templates, {
      cwd: packageRoot(),
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  }, 240_000);

  it('fails with the setting named when the config is invalid', async () => {
    const failed = await exec(
      'npx',
      [
        'cdk',
        'synth',
        '--quiet',
        '-o',
        join(out, 'bad'),
        '-c',
        'account=123456789012',
        '-c',
        'region=eu-west-1',
        '-c',
        'env=prod',
        '-c',
        'destroyOnRemoval=maybe',
      ],
      { cwd: packageRoot(), env: { ...process.env, CDK_DOCKER: '/bin/false' } },
    ).then(
      () => undefined,
      (e: { stderr: string }) => e,
    );
    expect(failed?.stderr).toContain('rawBucket.destroyOnRemoval must be true or false');
    // The message alone: no stack trace of the app's code around it.
    expect(failed?.stderr).not.toMatch(/^\s+at /m);
    expect(failed?.stderr).not.toContain('EltConfigError');
  }, 120_000);
});
