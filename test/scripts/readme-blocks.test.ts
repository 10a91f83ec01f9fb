import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  missingOutputLines,
  normalizeOutputLine,
  readmeBlocks,
  ReadmeMarkupError,
} from '../../scripts/readme-blocks.js';

const fence = '```';

describe('readmeBlocks', () => {
  it('runs sh blocks in order, skips marked ones with their reason, and leaves other blocks alone', () => {
    const md = [
      'intro',
      `${fence}sh`,
      'npx elt demo',
      fence,
      '<!-- readme-check: skip: needs an AWS account -->',
      '',
      `${fence}sh`,
      'npx cdk deploy',
      fence,
      `${fence}ts`,
      'const x = 1;',
      fence,
      '<!-- readme-check: output: npx elt demo -->',
      '',
      fence,
      '  generated 10',
      fence,
    ].join('\n');
    expect(readmeBlocks(md)).toEqual([
      { kind: 'run', line: 2, text: 'npx elt demo' },
      { kind: 'skip', line: 7, text: 'npx cdk deploy', reason: 'needs an AWS account' },
      { kind: 'output', line: 15, text: '  generated 10', of: 'npx elt demo' },
    ]);
  });

  it('refuses a skip without a reason, a marker on nothing, and an unclosed block', () => {
    expect(() => readmeBlocks(`<!-- readme-check: skip -->\n${fence}sh\nls\n${fence}`)).toThrow(
      /needs a reason/,
    );
    expect(() => readmeBlocks('<!-- readme-check: skip: x -->\ntext')).toThrow(ReadmeMarkupError);
    expect(() => readmeBlocks(`${fence}sh\nls`)).toThrow(/never closed/);
    expect(() => readmeBlocks(`<!-- readme-check: output -->\n${fence}\nx\n${fence}`)).toThrow(
      /whose output/,
    );
  });

  it("finds this README's blocks: the AWS ones and the suite itself skipped, the demo's output compared", () => {
    const blocks = readmeBlocks(readFileSync('README.md', 'utf8'));
    const run = blocks.filter((b) => b.kind === 'run').map((b) => b.text.split('\n')[0]);
    expect(run).toEqual(
      expect.arrayContaining(['npm ci && npx elt demo', expect.stringContaining('npm run localstack:up')]),
    );
    expect(run.some((t) => t!.includes('cdk deploy'))).toBe(false);
    expect(blocks.find((b) => b.text === 'npm ci && npm test')?.kind).toBe('skip');
    expect(blocks.filter((b) => b.kind === 'output').map((b) => b.of)).toEqual(['npx elt demo']);
  });
});

describe('the sample output comparison', () => {
  it('ignores run ids, durations and object counts, and nothing else', () => {
    expect(
      normalizeOutputLine('  warehouse   95,134 unique (run run-20261125T220126Z-121b8a: succeeded)'),
    ).toBe(normalizeOutputLine('warehouse 95,134 unique (run run-20261203T080000Z-abcdef: succeeded)'));
    expect(normalizeOutputLine('took 3.9 s (publish + land 2.2 s)')).toBe('took … s (publish + land … s)');
    expect(normalizeOutputLine('landed 98,001 events in 730 objects (134.2 events/object)')).toBe(
      'landed 98,001 events in … objects (… events/object)',
    );
    expect(missingOutputLines('a 1\n\n  b   2', 'x\nb 2\na 1\n')).toEqual([]);
    expect(
      missingOutputLines(
        'generated 100,000\nlanded 98,001 events',
        'generated 100,001\nlanded 98,001 events',
      ),
    ).toEqual(['generated 100,000']);
  });
});
