import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

// `elt stream` without a Flink to talk to: its help, and errors as one line that says what to do.

/** A loopback port nothing listens on. */
const CLOSED = 'http://127.0.0.1:9';

describe('elt stream', () => {
  it('offers start, stop and status, each with --json, --gateway and --rest', async () => {
    const run = await runCli(['stream', '--help']);
    expect(run.code).toBe(0);
    for (const c of ['start', 'stop', 'status']) expect(run.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    for (const c of ['start', 'stop', 'status']) {
      const help = await runCli(['stream', c, '--help']);
      expect(help.code).toBe(0);
      for (const option of ['--json', '--gateway <url>', '--rest <url>'])
        expect(help.stdout).toContain(option);
    }
  });

  it.each([['status'], ['stop'], ['start']])(
    '%s says in one line that Flink does not answer and how to start it',
    async (command) => {
      const run = await runCli(['stream', command, '--rest', CLOSED, '--gateway', CLOSED]);
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(
        /^elt: the Flink JobManager at http:\/\/127\.0\.0\.1:9 did not answer .*Start it: npm run flink:up$/m,
      );
    },
  );

  it.each([
    [['--results-topic', "x' , 'connector' = 'print"], /^elt: results topic must be 1–249 letters/m],
    [['--topic', 'elt-stream'], /the results topic must not be the topic the job reads/],
    [['--allowed-lateness', '1.5'], /--allowed-lateness <seconds>' argument '1\.5' is invalid/],
    [['--gateway', 'ftp://x'], /--gateway must be an http\(s\) URL/],
  ])('start refuses %j before it talks to Flink', async (args, message) => {
    const run = await runCli(['stream', 'start', '--rest', CLOSED, ...args]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });

  it('with --json, prints the error as JSON on stdout', async () => {
    const run = await runCli(['stream', 'status', '--rest', CLOSED, '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout.trim()) as unknown).toEqual({
      error: expect.stringContaining('npm run flink:up'),
    });
  });
});
