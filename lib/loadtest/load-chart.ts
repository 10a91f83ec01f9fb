import type { TimelineEvent } from './load-target.js';
import type { ScheduledStep } from './ramp-schedule.js';
import type { LoadSample } from './sample-recorder.js';

/** What the chart draws: a run's samples, its steps and the moments to mark. */
export interface ChartInput {
  readonly title: string;
  readonly samples: readonly LoadSample[];
  readonly steps: readonly ScheduledStep[];
  readonly timeline?: readonly TimelineEvent[];
}

/** One line of a panel: a value per second (null: no value that second). */
export interface Series {
  readonly id: string;
  readonly label: string;
  readonly color: string;
  readonly dashed?: boolean;
  /** Draw a dot at each value (a sparse series, e.g. one value per window result, has no line to draw). */
  readonly dots?: boolean;
  readonly values: readonly (number | null)[];
}

/** One panel of the chart: its title, unit and lines. */
export interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly Series[];
}

/** What one second of a run says about rates (a LoadSample, or a second of the stream run's series). */
export interface RateRow {
  readonly phase: string;
  readonly scheduledRate: number;
  readonly offered: number;
  readonly accepted: number;
  readonly landed: number;
}

/**
 * The Rate panel: the scheduled rate (during the ramp, dashed), then events offered, accepted and landed per
 * second, then `extra` lines. `acceptedLabel` names who accepted (the bus, the API, Kafka).
 */
export function ratePanel(
  rows: readonly RateRow[],
  options: { readonly acceptedLabel?: string; readonly extra?: readonly Series[] } = {},
): Panel {
  return {
    title: 'Rate',
    unit: 'events/s',
    series: [
      {
        id: 'scheduled',
        label: 'scheduled',
        color: '#969696',
        dashed: true,
        values: rows.map((r) => (r.phase === 'ramp' ? r.scheduledRate : null)),
      },
      { id: 'offered', label: 'offered', color: '#525252', values: rows.map((r) => r.offered) },
      {
        id: 'accepted',
        label: options.acceptedLabel ?? 'accepted',
        color: '#0571b0',
        values: rows.map((r) => r.accepted),
      },
      { id: 'landed', label: 'landed', color: '#1a9641', values: rows.map((r) => r.landed) },
      ...(options.extra ?? []),
    ],
  };
}

/** The chart's geometry in SVG pixels: its width, each panel's height and the gap below it, the margins. */
const LAYOUT = { width: 960, panelHeight: 190, gap: 46, left: 70, right: 170, top: 56 } as const;
const PALETTE = ['#7b3294', '#e66101', '#0571b0', '#1a9641', '#ca0020', '#525252'];

/**
 * The run as an SVG drawn without a browser: three panels on one time axis (seconds from the start) —
 * offered, accepted, landed and refused events per second with the scheduled rate; the backlog (spool,
 * queue, consumer lag or SQS depth, as the transport reports it); and the end-to-end latency p50 and
 * p99. Step boundaries are dashed vertical lines labelled with the step's rate; the drain is shaded.
 */
export function renderLoadChart(input: ChartInput): string {
  const { samples } = input;
  const seconds = Math.max(1, samples.length);
  const refused = samples.map((s) => Object.values(s.rejected).reduce((a, b) => a + b, 0));
  const partNames = [...new Set(samples.flatMap((s) => Object.keys(s.depthParts)))];
  const panels: Panel[] = [
    ratePanel(samples, {
      extra: refused.some((r) => r > 0)
        ? [{ id: 'refused', label: 'refused', color: '#ca0020', values: refused }]
        : [],
    }),
    {
      title: 'Backlog',
      unit: 'events',
      series: [
        ...(partNames.length !== 1
          ? [{ id: 'depth', label: 'total', color: '#252525', values: samples.map((s) => s.depth) }]
          : []),
        ...partNames.map((p, i) => ({
          id: `depth-${p}`,
          label: p,
          color: PALETTE[i % PALETTE.length]!,
          values: samples.map((s) => s.depthParts[p] ?? null),
        })),
      ],
    },
    {
      title: 'End-to-end latency (offered → landed)',
      unit: 'ms',
      series: [
        { id: 'p50', label: 'p50', color: '#e66101', values: samples.map((s) => s.latencyP50Ms) },
        { id: 'p99', label: 'p99', color: '#ca0020', values: samples.map((s) => s.latencyP99Ms) },
      ],
    },
  ];
  return renderChartPanels({
    title: input.title,
    seconds,
    steps: input.steps,
    timeline: input.timeline ?? [],
    drainFrom: samples.findIndex((s) => s.phase === 'drain'),
    panels,
  });
}

/** What {@link renderChartPanels} draws: panels on one time axis of `seconds`, the drain shaded from `drainFrom` (-1: none). */
export interface PanelChartInput {
  readonly title: string;
  readonly seconds: number;
  readonly steps: readonly ScheduledStep[];
  readonly timeline: readonly TimelineEvent[];
  readonly drainFrom: number;
  readonly panels: readonly Panel[];
}

/** Panels stacked on one time axis (seconds from the start), with the steps, the drain and the timeline marked. */
export function renderChartPanels(input: PanelChartInput): string {
  const { seconds, panels, drainFrom } = input;
  const plotWidth = LAYOUT.width - LAYOUT.left - LAYOUT.right;
  const height = LAYOUT.top + panels.length * (LAYOUT.panelHeight + LAYOUT.gap) + 10;
  const x = (second: number): number => LAYOUT.left + (second / seconds) * plotWidth;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${LAYOUT.width}" height="${height}" viewBox="0 0 ${LAYOUT.width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<title>${esc(input.title)}</title>`,
    `<rect width="${LAYOUT.width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LAYOUT.left}" y="22" font-size="15" font-weight="bold">${esc(input.title)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const top = LAYOUT.top + p * (LAYOUT.panelHeight + LAYOUT.gap);
    const bottom = top + LAYOUT.panelHeight;
    const values = panel.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
    const max = niceMax(Math.max(0, ...values));
    const y = (v: number): number => bottom - (v / max) * LAYOUT.panelHeight;
    out.push(`<g class="panel" data-panel="${esc(panel.title)}">`);
    out.push(
      `<text x="${LAYOUT.left}" y="${top - 8}" font-size="12" font-weight="bold">${esc(panel.title)} (${esc(panel.unit)})</text>`,
    );
    if (drainFrom >= 0) {
      out.push(
        `<rect class="drain" x="${fx(x(drainFrom))}" y="${top}" width="${fx(x(seconds) - x(drainFrom))}" height="${LAYOUT.panelHeight}" fill="#f0f0f0"/>`,
      );
      if (p === 0) out.push(`<text x="${fx(x(drainFrom) + 4)}" y="${top + 26}" fill="#737373">drain</text>`);
    }
    // Round gridlines: fifths of a 5×10ⁿ scale (1k, 2k, …), quarters of 1 or 2×10ⁿ.
    const intervals = max / 10 ** Math.floor(Math.log10(max)) === 5 ? 5 : 4;
    for (let t = 0; t <= intervals; t++) {
      const v = (max * t) / intervals;
      out.push(
        `<line x1="${LAYOUT.left}" x2="${LAYOUT.left + plotWidth}" y1="${fx(y(v))}" y2="${fx(y(v))}" stroke="#e0e0e0"/>`,
        `<text x="${LAYOUT.left - 6}" y="${fx(y(v) + 4)}" text-anchor="end">${esc(short(v))}</text>`,
      );
    }
    for (const step of input.steps) {
      const sx = fx(x(step.startMs / 1000));
      out.push(
        `<line class="step-boundary" data-step="${step.index}" x1="${sx}" x2="${sx}" y1="${top}" y2="${bottom}" stroke="#bdbdbd" stroke-dasharray="4 3"/>`,
      );
      if (p === 0)
        out.push(
          `<text class="step-label" x="${fx(x(step.startMs / 1000) + 3)}" y="${top + 12}" fill="#737373">${esc(short(step.rate))}/s</text>`,
        );
    }
    if (p === 0) {
      for (const t of input.timeline) {
        const tx = fx(x(t.atMs / 1000));
        out.push(
          `<line class="marker" x1="${tx}" x2="${tx}" y1="${bottom - 8}" y2="${bottom}" stroke="#ca0020" stroke-width="2"><title>${esc(`${(t.atMs / 1000).toFixed(1)} s: ${t.what}`)}</title></line>`,
        );
      }
    }
    for (const s of panel.series) {
      const d = pathOf(s.values, (i) => x(i + 0.5), y);
      if (d)
        out.push(
          `<path class="series" data-series="${esc(s.id)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
        );
      if (s.dots)
        s.values.forEach((v, i) => {
          if (v !== null)
            out.push(
              `<circle class="dot" data-series="${esc(s.id)}" cx="${fx(x(i + 0.5))}" cy="${fx(y(v))}" r="3" fill="${s.color}"/>`,
            );
        });
    }
    out.push(
      `<rect x="${LAYOUT.left}" y="${top}" width="${plotWidth}" height="${LAYOUT.panelHeight}" fill="none" stroke="#636363"/>`,
    );
    // Round ticks (every 1, 2, 5, 10, 20, … s), about ten of them.
    const every = niceMax(seconds / 10);
    for (let sec = 0; sec <= seconds; sec += every) {
      out.push(`<text x="${fx(x(sec))}" y="${bottom + 14}" text-anchor="middle">${sec}</text>`);
    }
    if (p === panels.length - 1)
      out.push(
        `<text x="${LAYOUT.left + plotWidth / 2}" y="${bottom + 30}" text-anchor="middle">seconds from the start</text>`,
      );
    panel.series.forEach((s, i) => {
      const ly = top + 10 + i * 16;
      out.push(
        `<line x1="${LAYOUT.left + plotWidth + 12}" x2="${LAYOUT.left + plotWidth + 34}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
        `<text class="legend" x="${LAYOUT.left + plotWidth + 40}" y="${ly + 4}">${esc(s.label)}</text>`,
      );
    });
    out.push('</g>');
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** An SVG path through the values; a gap (null) starts a new segment. */
function pathOf(
  values: readonly (number | null)[],
  x: (i: number) => number,
  y: (v: number) => number,
): string {
  const parts: string[] = [];
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    parts.push(`${pen ? 'L' : 'M'}${fx(x(i))},${fx(y(v))}`);
    pen = true;
  });
  return parts.join(' ');
}

/** A round axis maximum at or above `value` (1, 2 or 5 times a power of ten). */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

function short(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(1)}`;
}

function fx(v: number): string {
  return v.toFixed(1);
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
