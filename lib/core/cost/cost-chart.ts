import { EltError } from '../util/errors.js';

/** One point of a series: monthly cost in USD at an event rate; `usd: null` leaves a gap in the line. */
export interface CostChartPoint {
  readonly rate: number;
  readonly usd: number | null;
  /** The cost is only a lower bound (drawn dashed, with a hollow marker). */
  readonly lowerBound?: boolean;
}

/** One line of the chart; `id` is what the legend shows (followed by `label` when given). */
export interface CostChartSeries {
  readonly id: string;
  readonly label?: string;
  readonly points: readonly CostChartPoint[];
}

/** What {@link costChartSvg} draws. Both axes are log10; sizes are in SVG user units (default 960 × 540). */
export interface CostChartInput {
  readonly title: string;
  readonly subtitle?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly CostChartSeries[];
  readonly width?: number;
  readonly height?: number;
}

/** An input the chart cannot draw; the message names the series and point. */
export class CostChartError extends EltError {}

/** Colour-blind-safe colours (Okabe–Ito without yellow, which is too faint on white). */
const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'] as const;
/** Series dash patterns; the next pattern starts once every colour has been used (7 × 3 distinct styles). */
const SERIES_DASHES = ['', '9 4', '12 3 3 3'] as const;
/** The dash of a line piece that ends at a lower-bound point, distinct from every series dash. */
const LOWER_BOUND_DASH = '2 3';
const LOWER_BOUND_NOTE = 'dashed: lower bound';

const FONT = 'font-family="sans-serif"';
/** Rough width of one character at the legend's 12px font; there is no font to measure with. */
const CHAR_WIDTH = 6.6;
const LEGEND_ROW = 18;
/** Tolerance for deciding that a value sits on a decade despite floating-point error. */
const EPS = 1e-9;

/** Makes text safe inside an XML element or a double-quoted attribute. */
function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A coordinate rounded to one decimal, so the output does not depend on the last bits of a float. */
function num(n: number): string {
  const r = Math.round(n * 10) / 10;
  return String(r === 0 ? 0 : r);
}

/** 10^k, parsed rather than computed so that e.g. 10^-1 is exactly 0.1. */
function decade(k: number): number {
  return Number(`1e${k}`);
}

/**
 * The decades (powers of ten) covering [min, max]: from the largest decade ≤ min to the smallest decade ≥ max.
 * `logTicks(3, 250)` is `[1, 10, 100, 1000]`; `logTicks(10, 1000)` is `[10, 100, 1000]`.
 */
export function logTicks(min: number, max: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min <= 0 || max <= 0) {
    throw new CostChartError(`logTicks needs positive finite bounds, got ${min} and ${max}`);
  }
  if (min > max) throw new CostChartError(`logTicks needs min <= max, got ${min} > ${max}`);
  const lo = Math.floor(Math.log10(min) + EPS);
  const hi = Math.max(lo, Math.ceil(Math.log10(max) - EPS));
  const ticks: number[] = [];
  for (let k = lo; k <= hi; k++) ticks.push(decade(k));
  return ticks;
}

/** 1, 10, 100, 1k, 10k, 100k, 1M, … (three significant digits off a decade). */
function compact(v: number): string {
  const units: readonly (readonly [number, string])[] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [div, suffix] of units) {
    if (v >= div * (1 - EPS)) return `${Number((v / div).toPrecision(3))}${suffix}`;
  }
  return String(Number(v.toPrecision(3)));
}

function isPositiveFinite(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0;
}

function validate(input: CostChartInput): void {
  if (input.series.length === 0) throw new CostChartError('cost chart needs at least one series');
  const rates = new Set<number>();
  let priced = 0;
  for (const s of input.series) {
    s.points.forEach((p, i) => {
      const where = `cost chart series "${s.id}" point ${i}`;
      if (!isPositiveFinite(p.rate)) {
        throw new CostChartError(`${where}: rate must be a positive finite number, got ${String(p.rate)}`);
      }
      if (p.usd !== null) {
        if (!isPositiveFinite(p.usd)) {
          throw new CostChartError(
            `${where}: usd must be a positive finite number or null, got ${String(p.usd)}`,
          );
        }
        priced++;
      }
      rates.add(p.rate);
    });
  }
  if (rates.size < 2) {
    throw new CostChartError(`cost chart needs at least 2 distinct rates, got ${rates.size}`);
  }
  if (priced === 0) throw new CostChartError('cost chart needs at least one point with a usd value');
  for (const [name, v] of [
    ['width', input.width],
    ['height', input.height],
  ] as const) {
    if (v !== undefined && !isPositiveFinite(v)) {
      throw new CostChartError(`cost chart ${name} must be a positive finite number, got ${String(v)}`);
    }
  }
}

interface Style {
  readonly colour: string;
  readonly dash: string;
}

function seriesStyle(i: number): Style {
  return {
    colour: PALETTE[i % PALETTE.length] ?? '#000000',
    dash: SERIES_DASHES[Math.floor(i / PALETTE.length) % SERIES_DASHES.length] ?? '',
  };
}

function dashAttr(dash: string): string {
  return dash === '' ? '' : ` stroke-dasharray="${dash}"`;
}

interface Pt {
  readonly x: number;
  readonly y: number;
  readonly lowerBound: boolean;
}

/**
 * The line pieces of one gap-free run: consecutive edges of the same kind (solid, or touching a lower-bound
 * point) are joined into one polyline.
 */
function pieces(run: readonly Pt[]): { points: Pt[]; lowerBound: boolean }[] {
  const out: { points: Pt[]; lowerBound: boolean }[] = [];
  for (let j = 0; j + 1 < run.length; j++) {
    const a = run[j] as Pt;
    const b = run[j + 1] as Pt;
    const lowerBound = a.lowerBound || b.lowerBound;
    const last = out[out.length - 1];
    if (last !== undefined && last.lowerBound === lowerBound) last.points.push(b);
    else out.push({ points: [a, b], lowerBound });
  }
  return out;
}

/**
 * A self-contained SVG line chart of monthly cost (y) against event rate (x), both log10. The x axis spans
 * the data's rates, the y axis the data's costs rounded out to whole decades; gridlines and labels sit on
 * every decade. Each series is drawn as one polyline per gap-free piece (a `usd: null` point breaks the
 * line; a piece touching a lower-bound point is drawn with its own dash) plus a marker per priced point
 * (hollow for lower bounds); a single priced point between gaps shows as a marker only. Points are drawn in
 * rate order. The legend lists the series in input order. Output is deterministic (coordinates rounded to one
 * decimal, no fonts or scripts) and ends with a newline.
 */
export function costChartSvg(input: CostChartInput): string {
  validate(input);
  const width = input.width ?? 960;
  const height = input.height ?? 540;

  const allRates = input.series.flatMap((s) => s.points.map((p) => p.rate));
  const costs = input.series.flatMap((s) => s.points.flatMap((p) => (p.usd === null ? [] : [p.usd])));
  const xMin = Math.min(...allRates);
  const xMax = Math.max(...allRates);
  const yDecades = logTicks(Math.min(...costs), Math.max(...costs));
  const yTicks = yDecades.length > 1 ? yDecades : [...yDecades, (yDecades[0] as number) * 10];
  const yLo = Math.log10(yTicks[0] as number);
  const yHi = Math.log10(yTicks[yTicks.length - 1] as number);
  const xDecades = logTicks(xMin, xMax).filter((t) => t >= xMin * (1 - EPS) && t <= xMax * (1 + EPS));
  const xTicks = xDecades.length >= 2 ? xDecades : [...new Set([xMin, ...xDecades, xMax])];

  const anyLowerBound = input.series.some((s) =>
    s.points.some((p) => p.lowerBound === true && p.usd !== null),
  );
  const legendTexts = input.series.map((s) => (s.label === undefined ? s.id : `${s.id} (${s.label})`));
  const longest = Math.max(
    ...legendTexts.map((t) => [...t].length),
    anyLowerBound ? LOWER_BOUND_NOTE.length : 0,
  );
  const legendWidth = Math.min(Math.max(140, 44 + longest * CHAR_WIDTH), Math.floor(width * 0.45));

  const x0 = 72;
  const x1 = width - legendWidth - 24;
  const y0 = input.subtitle === undefined ? 52 : 72;
  const y1 = height - 56;
  if (x1 - x0 < 100 || y1 - y0 < 80) {
    throw new CostChartError(`cost chart ${width}x${height} is too small for its plot area and legend`);
  }
  const sx = (rate: number): number =>
    x0 + ((Math.log10(rate) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * (x1 - x0);
  const sy = (usd: number): number => y1 - ((Math.log10(usd) - yLo) / (yHi - yLo)) * (y1 - y0);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" ` +
      `viewBox="0 0 ${num(width)} ${num(height)}" role="img">`,
  );
  out.push(`<title>${esc(input.title)}</title>`);
  out.push(
    `<rect class="background" x="0" y="0" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`,
  );
  out.push(
    `<text class="title" x="${num(x0)}" y="28" ${FONT} font-size="18" font-weight="bold" fill="#111111">` +
      `${esc(input.title)}</text>`,
  );
  if (input.subtitle !== undefined) {
    out.push(
      `<text class="subtitle" x="${num(x0)}" y="50" ${FONT} font-size="13" fill="#444444">` +
        `${esc(input.subtitle)}</text>`,
    );
  }

  out.push('<g class="grid" stroke="#dddddd" stroke-width="1">');
  for (const t of xTicks) {
    const x = num(sx(t));
    out.push(`<line x1="${x}" y1="${num(y0)}" x2="${x}" y2="${num(y1)}"/>`);
  }
  for (const t of yTicks) {
    const y = num(sy(t));
    out.push(`<line x1="${num(x0)}" y1="${y}" x2="${num(x1)}" y2="${y}"/>`);
  }
  out.push('</g>');
  out.push(
    `<rect class="plot-area" x="${num(x0)}" y="${num(y0)}" width="${num(x1 - x0)}" height="${num(y1 - y0)}" ` +
      'fill="none" stroke="#888888" stroke-width="1"/>',
  );

  out.push(`<g class="x-ticks" ${FONT} font-size="12" fill="#333333" text-anchor="middle">`);
  for (const t of xTicks) out.push(`<text x="${num(sx(t))}" y="${num(y1 + 18)}">${esc(compact(t))}</text>`);
  out.push('</g>');
  out.push(`<g class="y-ticks" ${FONT} font-size="12" fill="#333333" text-anchor="end">`);
  for (const t of yTicks) {
    out.push(`<text x="${num(x0 - 8)}" y="${num(sy(t))}" dy="0.35em">${esc(`$${compact(t)}`)}</text>`);
  }
  out.push('</g>');
  out.push(
    `<text class="x-label" x="${num((x0 + x1) / 2)}" y="${num(height - 14)}" ${FONT} font-size="13" ` +
      `fill="#111111" text-anchor="middle">${esc(input.xLabel)}</text>`,
  );
  const yMid = num((y0 + y1) / 2);
  out.push(
    `<text class="y-label" x="18" y="${yMid}" transform="rotate(-90 18 ${yMid})" ${FONT} font-size="13" ` +
      `fill="#111111" text-anchor="middle">${esc(input.yLabel)}</text>`,
  );

  input.series.forEach((s, i) => {
    const { colour, dash } = seriesStyle(i);
    const id = esc(s.id);
    out.push(`<g class="series" data-series="${id}">`);
    const sorted = [...s.points].sort((a, b) => a.rate - b.rate);
    const runs: Pt[][] = [];
    let run: Pt[] = [];
    for (const p of sorted) {
      if (p.usd === null) {
        if (run.length > 0) runs.push(run);
        run = [];
      } else {
        run.push({ x: sx(p.rate), y: sy(p.usd), lowerBound: p.lowerBound === true });
      }
    }
    if (run.length > 0) runs.push(run);
    for (const r of runs) {
      for (const piece of pieces(r)) {
        const pts = piece.points.map((p) => `${num(p.x)},${num(p.y)}`).join(' ');
        out.push(
          `<polyline class="series-line${piece.lowerBound ? ' lower-bound' : ''}" data-series="${id}" ` +
            `points="${pts}" fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round"` +
            `${dashAttr(piece.lowerBound ? LOWER_BOUND_DASH : dash)}/>`,
        );
      }
    }
    for (const p of runs.flat()) {
      out.push(
        `<circle class="series-point${p.lowerBound ? ' lower-bound' : ''}" cx="${num(p.x)}" cy="${num(p.y)}" ` +
          `r="3" fill="${p.lowerBound ? '#ffffff' : colour}" stroke="${colour}" stroke-width="1.5"/>`,
      );
    }
    out.push('</g>');
  });

  const lx = x1 + 20;
  out.push(`<g class="legend" ${FONT} font-size="12" fill="#111111">`);
  const legendRow = (row: number, style: Style, hollow: boolean, text: string, cls: string): void => {
    const y = num(y0 + 8 + row * LEGEND_ROW);
    out.push(
      `<line x1="${num(lx)}" y1="${y}" x2="${num(lx + 28)}" y2="${y}" stroke="${style.colour}" ` +
        `stroke-width="2"${dashAttr(style.dash)}/>`,
    );
    out.push(
      `<circle cx="${num(lx + 14)}" cy="${y}" r="3" fill="${hollow ? '#ffffff' : style.colour}" ` +
        `stroke="${style.colour}" stroke-width="1.5"/>`,
    );
    out.push(`<text class="${cls}" x="${num(lx + 36)}" y="${y}" dy="0.35em">${esc(text)}</text>`);
  };
  legendTexts.forEach((text, i) => legendRow(i, seriesStyle(i), false, text, 'legend-entry'));
  if (anyLowerBound) {
    legendRow(
      legendTexts.length + 0.5,
      { colour: '#555555', dash: LOWER_BOUND_DASH },
      true,
      LOWER_BOUND_NOTE,
      'legend-note',
    );
  }
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
