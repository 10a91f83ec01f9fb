import { describe, expect, it } from 'vitest';
import {
  CostChartError,
  costChartSvg,
  logTicks,
  type CostChartInput,
  type CostChartSeries,
} from '../../../lib/core/cost/cost-chart.js';
import { EltError } from '../../../lib/core/util/errors.js';

type Pair = [number, number];

const RATES = [1, 10, 100, 1000, 10000, 100000];

function chart(series: readonly CostChartSeries[], extra: Partial<CostChartInput> = {}): string {
  return costChartSvg({ title: 'Monthly cost', xLabel: 'events/s', yLabel: 'USD/month', series, ...extra });
}

/** Every tag opened is closed, in order; text never holds a raw `<`, `>` or unescaped `&`. */
function assertBalanced(svg: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/g;
  let last = 0;
  for (const m of svg.matchAll(tag)) {
    const between = svg.slice(last, m.index);
    expect(between).not.toMatch(/[<>]/);
    expect(between).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
    last = m.index + m[0].length;
    const [, close, name, , selfClose] = m;
    if (close === '/') expect(stack.pop()).toBe(name);
    else if (selfClose !== '/') stack.push(name as string);
  }
  expect(svg.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
}

function polylines(svg: string, id?: string): string[] {
  return [...svg.matchAll(/<polyline [^>]*>/g)]
    .map((m) => m[0])
    .filter((p) => id === undefined || p.includes(`data-series="${id}"`));
}

function points(polyline: string): [number, number][] {
  const attr = /points="([^"]*)"/.exec(polyline)?.[1] ?? '';
  return attr.split(' ').map((xy) => xy.split(',').map(Number) as [number, number]);
}

function plotArea(svg: string): { x: number; y: number; width: number; height: number } {
  const m = /<rect class="plot-area" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg);
  if (m === null) throw new Error('no plot area');
  return { x: Number(m[1]), y: Number(m[2]), width: Number(m[3]), height: Number(m[4]) };
}

function texts(svg: string, group: string): string[] {
  const g = new RegExp(`<g class="${group}"[^>]*>([\\s\\S]*?)</g>`).exec(svg)?.[1] ?? '';
  return [...g.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] as string);
}

const FOURTEEN: CostChartSeries[] = Array.from({ length: 14 }, (_, i) => ({
  id: `option-${i}`,
  points: RATES.map((rate) => ({ rate, usd: 10 + i * rate * 0.5 })),
}));

describe('logTicks', () => {
  it('returns the decades covering the range', () => {
    expect(logTicks(1, 100000)).toEqual([1, 10, 100, 1000, 10000, 100000]);
    expect(logTicks(3, 250)).toEqual([1, 10, 100, 1000]);
    expect(logTicks(10, 1000)).toEqual([10, 100, 1000]);
    expect(logTicks(15, 850)).toEqual([10, 100, 1000]);
    expect(logTicks(0.05, 2)).toEqual([0.01, 0.1, 1, 10]);
    expect(logTicks(100, 100)).toEqual([100]);
    expect(logTicks(150, 150)).toEqual([100, 1000]);
  });

  it('rejects non-positive, non-finite and inverted bounds', () => {
    expect(() => logTicks(0, 10)).toThrow(CostChartError);
    expect(() => logTicks(1, Infinity)).toThrow(CostChartError);
    expect(() => logTicks(1, NaN)).toThrow(CostChartError);
    expect(() => logTicks(100, 10)).toThrow(/min <= max/);
  });
});

describe('costChartSvg', () => {
  const simple: CostChartSeries[] = [
    { id: 'kinesis', points: RATES.map((rate) => ({ rate, usd: 20 + rate })) },
    { id: 'msk', label: 'MSK Serverless', points: RATES.map((rate) => ({ rate, usd: 600 + rate / 10 })) },
  ];

  it('is a balanced, self-contained SVG document', () => {
    const svg = chart(simple, { subtitle: 'us-east-1' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.endsWith('\n')).toBe(true);
    assertBalanced(svg);
    expect(svg).not.toMatch(/<script|@import|@font-face|href=|url\(/);
    expect(svg).toContain('>Monthly cost</text>');
    expect(svg).toContain('>us-east-1</text>');
    expect(svg).toContain('>events/s</text>');
    expect(svg).toContain('>USD/month</text>');
  });

  it('is deterministic and rounds every number to at most one decimal', () => {
    const a = chart(FOURTEEN);
    const b = chart(FOURTEEN.map((s) => ({ ...s, points: s.points.map((p) => ({ ...p })) })));
    expect(a).toBe(b);
    const numbers = [...a.matchAll(/="(-?[\d.]+)"/g)].map((m) => m[1] as string);
    expect(numbers.length).toBeGreaterThan(100);
    for (const n of numbers) expect(n).toMatch(/^-?\d+(\.\d)?$/);
    for (const m of a.matchAll(/points="([^"]*)"/g)) expect(m[1]).toMatch(/^(-?\d+(\.\d)?,-?\d+(\.\d)? ?)+$/);
  });

  it('labels every decade on both axes', () => {
    const svg = chart(simple);
    expect(texts(svg, 'x-ticks')).toEqual(['1', '10', '100', '1k', '10k', '100k']);
    // usd spans 21 .. 100,600: rounded out to $10 .. $1M.
    expect(texts(svg, 'y-ticks')).toEqual(['$10', '$100', '$1k', '$10k', '$100k', '$1M']);
    const grid = /<g class="grid"[^>]*>([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
    expect(grid.match(/<line /g)).toHaveLength(6 + 6);
  });

  it('takes the x range from the data and rounds the y range out to decades', () => {
    const svg = chart([
      {
        id: 'a',
        points: [
          { rate: 10, usd: 15 },
          { rate: 1000, usd: 850 },
        ],
      },
    ]);
    expect(texts(svg, 'x-ticks')).toEqual(['10', '100', '1k']);
    expect(texts(svg, 'y-ticks')).toEqual(['$10', '$100', '$1k']);
    const area = plotArea(svg);
    const [first, last] = points(polylines(svg)[0] as string);
    expect(first?.[0]).toBeCloseTo(area.x, 1);
    expect(last?.[0]).toBeCloseTo(area.x + area.width, 1);
    // 15 sits log10(1.5) of a decade above $10 on a two-decade axis.
    const bottom = area.y + area.height;
    expect(first?.[1]).toBeCloseTo(bottom - (Math.log10(1.5) / 2) * area.height, 0);
  });

  it('maps positions on log scales', () => {
    const svg = chart([
      {
        id: 'a',
        points: [
          { rate: 1, usd: 10 },
          { rate: 100, usd: 100 },
          { rate: 10000, usd: 1000 },
        ],
      },
    ]);
    const area = plotArea(svg);
    const [p1, p100, p10k] = points(polylines(svg)[0] as string) as [Pair, Pair, Pair];
    expect(p1[0]).toBeCloseTo(area.x, 1);
    expect(p10k[0]).toBeCloseTo(area.x + area.width, 1);
    expect(Math.abs(p100[0] - (p1[0] + p10k[0]) / 2)).toBeLessThanOrEqual(0.1);
    // $10 .. $1k is exactly the y range, so $100 is halfway up.
    expect(p1[1]).toBeCloseTo(area.y + area.height, 1);
    expect(p10k[1]).toBeCloseTo(area.y, 1);
    expect(Math.abs(p100[1] - (p1[1] + p10k[1]) / 2)).toBeLessThanOrEqual(0.1);
  });

  it('draws one polyline per gap-free segment; null breaks the line', () => {
    const svg = chart([
      {
        id: 'gappy',
        points: [
          { rate: 1, usd: 10 },
          { rate: 10, usd: 20 },
          { rate: 100, usd: null },
          { rate: 1000, usd: 40 },
          { rate: 10000, usd: 80 },
          { rate: 100000, usd: 160 },
        ],
      },
      { id: 'whole', points: RATES.map((rate) => ({ rate, usd: 50 })) },
    ]);
    const gappy = polylines(svg, 'gappy');
    expect(gappy).toHaveLength(2);
    expect(gappy.map((p) => points(p).length)).toEqual([2, 3]);
    expect(polylines(svg, 'whole')).toHaveLength(1);
    expect(points(polylines(svg, 'whole')[0] as string)).toHaveLength(6);
    // 5 + 6 priced points, one marker each; the null point has none.
    expect(svg.match(/<circle class="series-point/g)).toHaveLength(11);
  });

  it('shows an isolated point as a marker only', () => {
    const svg = chart([
      {
        id: 'lonely',
        points: [
          { rate: 1, usd: 10 },
          { rate: 10, usd: null },
          { rate: 100, usd: 30 },
        ],
      },
    ]);
    expect(polylines(svg)).toHaveLength(0);
    expect(svg.match(/<circle class="series-point/g)).toHaveLength(2);
  });

  it('draws points in rate order whatever the input order', () => {
    const pts = RATES.map((rate) => ({ rate, usd: 10 + rate }));
    const svg = chart([{ id: 'a', points: [...pts].reverse() }]);
    expect(svg).toBe(chart([{ id: 'a', points: pts }]));
  });

  it('dashes lower-bound pieces, hollows their markers and says so in the legend', () => {
    const svg = chart([
      {
        id: 'capped',
        points: [
          { rate: 1, usd: 10 },
          { rate: 10, usd: 20 },
          { rate: 100, usd: 30, lowerBound: true },
          { rate: 1000, usd: 40, lowerBound: true },
        ],
      },
    ]);
    const lines = polylines(svg, 'capped');
    expect(lines).toHaveLength(2);
    expect(lines[0]).not.toContain('stroke-dasharray');
    expect(points(lines[0] as string)).toHaveLength(2);
    expect(lines[1]).toContain('lower-bound');
    expect(lines[1]).toContain('stroke-dasharray="2 3"');
    expect(points(lines[1] as string)).toHaveLength(3);
    expect(svg.match(/<circle class="series-point lower-bound"[^>]*fill="#ffffff"/g)).toHaveLength(2);
    expect(texts(svg, 'legend')).toEqual(['capped', 'dashed: lower bound']);
    expect(chart(simple)).not.toContain('lower bound');
  });

  it('lists every series id in the legend in input order, with distinct styles', () => {
    const svg = chart(FOURTEEN);
    expect(texts(svg, 'legend')).toEqual(FOURTEEN.map((s) => s.id));
    expect(texts(chart(simple), 'legend')).toEqual(['kinesis', 'msk (MSK Serverless)']);
    const styles = FOURTEEN.map((s) => {
      const line = polylines(svg, s.id)[0] as string;
      const stroke = /stroke="([^"]+)"/.exec(line)?.[1];
      const dash = /stroke-dasharray="([^"]+)"/.exec(line)?.[1] ?? 'solid';
      return `${stroke} ${dash}`;
    });
    expect(new Set(styles).size).toBe(14);
  });

  it('escapes all text', () => {
    const svg = chart(
      [
        { id: 'a<&>"b', label: "it's", points: RATES.map((rate) => ({ rate, usd: 10 * rate })) },
        { id: 'plain', points: RATES.map((rate) => ({ rate, usd: 20 * rate })) },
      ],
      { title: 'T <&> 1', subtitle: 'S <&>', xLabel: 'x <&>', yLabel: 'y <&>' },
    );
    assertBalanced(svg);
    expect(svg).not.toContain('<&>');
    expect(svg).toContain('<title>T &lt;&amp;&gt; 1</title>');
    expect(svg).toContain('>S &lt;&amp;&gt;</text>');
    expect(svg).toContain('>x &lt;&amp;&gt;</text>');
    expect(svg).toContain('>y &lt;&amp;&gt;</text>');
    expect(svg).toContain('data-series="a&lt;&amp;&gt;&quot;b"');
    expect(texts(svg, 'legend')[0]).toBe('a&lt;&amp;&gt;&quot;b (it&apos;s)');
  });

  it('honours width and height', () => {
    const svg = chart(simple, { width: 1200, height: 700 });
    expect(svg).toMatch(/^<svg [^>]*width="1200" height="700" viewBox="0 0 1200 700"/);
    expect(() => chart(simple, { width: 200, height: 100 })).toThrow(/too small/);
    expect(() => chart(simple, { width: -5 })).toThrow(/width/);
  });

  describe('rejects', () => {
    const ok = { rate: 1, usd: 10 };
    const cases: [string, CostChartSeries[], RegExp][] = [
      ['no series', [], /at least one series/],
      ['a zero rate', [{ id: 's', points: [ok, { rate: 0, usd: 5 }] }], /series "s" point 1: rate/],
      ['a negative rate', [{ id: 's', points: [ok, { rate: -10, usd: 5 }] }], /rate must be a positive/],
      ['an infinite rate', [{ id: 's', points: [ok, { rate: Infinity, usd: 5 }] }], /rate/],
      ['a NaN rate', [{ id: 's', points: [ok, { rate: NaN, usd: 5 }] }], /rate/],
      ['a zero usd', [{ id: 's', points: [ok, { rate: 10, usd: 0 }] }], /series "s" point 1: usd/],
      ['a negative usd', [{ id: 's', points: [ok, { rate: 10, usd: -1 }] }], /usd must be a positive/],
      ['an infinite usd', [{ id: 's', points: [ok, { rate: 10, usd: Infinity }] }], /usd/],
      ['a NaN usd', [{ id: 's', points: [ok, { rate: 10, usd: NaN }] }], /usd/],
      ['one rate', [{ id: 's', points: [ok, { rate: 1, usd: 20 }] }], /at least 2 distinct rates, got 1/],
      [
        'one rate across series',
        [
          { id: 's', points: [ok] },
          { id: 't', points: [ok] },
        ],
        /at least 2 distinct rates/,
      ],
      ['no rates at all', [{ id: 's', points: [] }], /at least 2 distinct rates, got 0/],
      [
        'no priced point',
        [
          {
            id: 's',
            points: [
              { rate: 1, usd: null },
              { rate: 10, usd: null },
            ],
          },
        ],
        /usd value/,
      ],
    ];
    it.each(cases)('%s', (_, series, message) => {
      let caught: unknown;
      try {
        chart(series);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CostChartError);
      expect(caught).toBeInstanceOf(EltError);
      expect((caught as Error).name).toBe('CostChartError');
      expect((caught as Error).message).toMatch(message);
    });
  });
});
