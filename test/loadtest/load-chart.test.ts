import { describe, expect, it } from 'vitest';
import { niceMax, renderLoadChart } from '../../lib/loadtest/load-chart.js';
import { overloadedSamples, STEPS } from './synthetic-run.js';

/** Fails unless every tag closes in order, every attribute is quoted and every `&` starts an entity. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const tags = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let end = 0;
  for (let m = tags.exec(xml); m; m = tags.exec(xml)) {
    const between = xml.slice(end, m.index);
    expect(between, `stray markup before ${m[0]}`).not.toMatch(/[<>]/);
    expect(between).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
    end = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (closing) expect(stack.pop(), `</${name}> closes the wrong element`).toBe(name);
    else if (!selfClosing) stack.push(name!);
  }
  expect(xml.slice(end).trim()).toBe('');
  expect(stack).toEqual([]);
}

const svg = (): string =>
  renderLoadChart({
    title: 'elt loadtest --transport local <test> & co',
    samples: overloadedSamples(),
    steps: STEPS,
    timeline: [{ atMs: 10_500, what: 'bus breaker closed → open' }],
  });

describe('the load chart', () => {
  it('is a well-formed SVG document, its title escaped', () => {
    const out = svg();
    expect(out.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    assertWellFormed(out);
    expect(out).toContain('<title>elt loadtest --transport local &lt;test&gt; &amp; co</title>');
  });

  it('draws the offered, accepted, landed and refused rates, the backlog and the latency percentiles', () => {
    const series = [...svg().matchAll(/data-series="([^"]+)"/g)].map((m) => m[1]);
    expect(series).toEqual([
      'scheduled',
      'offered',
      'accepted',
      'landed',
      'refused',
      'depth',
      'depth-spool',
      'depth-queue',
      'p50',
      'p99',
    ]);
  });

  it('puts one point per second on each series', () => {
    const offered = /data-series="offered" d="([^"]+)"/.exec(svg())![1]!;
    expect(offered.split(/[ML]/).filter(Boolean)).toHaveLength(15);
  });

  it('marks every step boundary in each of the three panels, labelled with its rate, and shades the drain', () => {
    const out = svg();
    expect(out.match(/class="step-boundary"/g)).toHaveLength(STEPS.length * 3);
    expect([...out.matchAll(/class="step-label"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual([
      '1k/s',
      '2k/s',
      '4k/s',
    ]);
    expect(out.match(/class="drain"/g)).toHaveLength(3);
    expect(out).toContain('<title>10.5 s: bus breaker closed → open</title>');
  });

  it('rounds an axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 0.3, 7, 12, 2500, 4001].map(niceMax)).toEqual([1, 0.5, 10, 20, 5000, 5000]);
  });
});
