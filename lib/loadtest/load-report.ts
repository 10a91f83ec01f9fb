import type { LedgerTotals } from './event-ledger.js';
import { analyseLoad, type LoadAnalysis } from './load-analysis.js';
import type { LoadRun } from './load-driver.js';
import type { LoadTransport, TimelineEvent } from './load-target.js';
import type { ScheduledStep } from './ramp-schedule.js';
import type { LoadSample } from './sample-recorder.js';

/** The settings of a run, as given (or defaulted) on the command line. */
export interface LoadSettings {
  readonly startRate: number;
  readonly step: string;
  readonly stepSeconds: number;
  readonly maxRate: number;
  readonly maxSeconds: number;
  readonly maxEvents: number;
  readonly maxInFlight: number;
  readonly drainSeconds: number;
  readonly entriesPerCall: number;
}

/** A named pass/fail check of the run. */
export interface LoadCheck {
  readonly name: string;
  readonly ok: boolean;
}

/** The summary of a run: what `--json` prints and what the report leads with. */
export interface LoadSummary extends LedgerTotals {
  readonly transport: LoadTransport;
  readonly rejectedByCode: Readonly<Record<string, number>>;
  readonly landedObjects: number;
  readonly latency: LoadRun['latency'];
  readonly peakDepth: number | null;
  readonly peakRssMb: number | null;
  readonly offerSeconds: number;
  readonly drainSeconds: number;
  readonly drained: boolean;
  readonly stoppedBy: LoadRun['stoppedBy'];
  readonly backpressure: LoadAnalysis['backpressure'];
  readonly keptUpTo: number | null;
  readonly peakLandedPerSecond: number;
  readonly signals: LoadAnalysis['signals'];
  readonly checks: readonly LoadCheck[];
}

/** Everything a run wrote: the JSON report. */
export interface LoadReport {
  readonly tool: 'elt loadtest';
  readonly transport: LoadTransport;
  readonly target: string;
  readonly command: string;
  readonly startedAt: string;
  readonly machine: Readonly<Record<string, unknown>>;
  readonly settings: LoadSettings;
  readonly facts: Readonly<Record<string, unknown>>;
  readonly steps: readonly ScheduledStep[];
  readonly stepSummaries: LoadAnalysis['steps'];
  readonly timeline: readonly TimelineEvent[];
  readonly summary: LoadSummary;
  readonly samples: readonly LoadSample[];
}

/** The report of a run: its samples analysed, totals checked. */
export function buildLoadReport(
  input: Pick<LoadReport, 'transport' | 'target' | 'command' | 'machine' | 'settings' | 'facts' | 'steps'> & {
    readonly run: LoadRun;
  },
): LoadReport {
  const { run } = input;
  const analysis = analyseLoad(run.samples, input.steps);
  const rejectedByCode: Record<string, number> = {};
  for (const s of run.samples)
    for (const [k, v] of Object.entries(s.rejected)) rejectedByCode[k] = (rejectedByCode[k] ?? 0) + v;
  const depths = run.samples.map((s) => s.depth).filter((d): d is number => d !== null);
  const rss = run.samples.map((s) => s.rssMb).filter((d): d is number => d !== null);
  const summary: LoadSummary = {
    transport: input.transport,
    ...run.totals,
    rejectedByCode,
    landedObjects: run.landedObjects,
    latency: run.latency,
    peakDepth: depths.length > 0 ? Math.max(...depths) : null,
    peakRssMb: rss.length > 0 ? Math.max(...rss) : null,
    offerSeconds: run.offerSeconds,
    drainSeconds: run.drainSeconds,
    drained: run.drained,
    stoppedBy: run.stoppedBy,
    backpressure: analysis.backpressure,
    keptUpTo: analysis.keptUpTo,
    peakLandedPerSecond: analysis.peakLandedPerSecond,
    signals: analysis.signals,
    checks: [
      { name: 'every accepted event landed', ok: run.totals.lost === 0 },
      { name: 'no event landed twice', ok: run.totals.duplicates === 0 },
      { name: 'the pipeline drained before the deadline', ok: run.drained },
    ],
  };
  return {
    tool: 'elt loadtest',
    transport: input.transport,
    target: input.target,
    command: input.command,
    startedAt: run.startedAt,
    machine: input.machine,
    settings: input.settings,
    facts: input.facts,
    steps: input.steps,
    stepSummaries: analysis.steps,
    timeline: run.timeline,
    summary,
    samples: run.samples,
  };
}

const n = (v: number): string => Math.round(v).toLocaleString('en-US');
const ms = (v: number | null): string =>
  v === null ? '–' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${n(v)} ms`;

/** What each backlog part and refusal code means, for the report's sentences. */
const SIGNAL_NAMES: Readonly<Record<string, string>> = {
  spool: 'the ingest spool (the bus breaker opened and requests were spooled to disk)',
  queue: 'the landing queue',
  lag: 'the consumer lag',
  visible: 'the SQS queue (visible messages)',
  notVisible: 'the SQS messages in flight',
  '429': 'HTTP 429 (the ingest API at its concurrency limit)',
  '503': 'HTTP 503 (the bus unavailable and the spool full)',
  'in-flight-limit': "the load generator's in-flight limit (the transport answered too slowly)",
  latency: 'end-to-end latency',
};

/** The highest value each backlog part reached. */
function peakParts(samples: readonly LoadSample[]): Record<string, number> {
  const peaks: Record<string, number> = {};
  for (const s of samples)
    for (const [part, v] of Object.entries(s.depthParts)) peaks[part] = Math.max(peaks[part] ?? 0, v);
  return peaks;
}

/** The short markdown report of a run: where backpressure appeared, how it spread, and the loss check. */
export function renderLoadMarkdown(report: LoadReport, chartFile: string): string {
  const s = report.summary;
  const m = report.machine as { cpu?: string; cores?: number; memoryGiB?: number; node?: string };
  const lines: string[] = [
    `# Load test: ${report.transport}`,
    '',
    `${report.startedAt.slice(0, 10)} · \`${report.command}\` · ${report.target} · ${m.cores ?? '?'} cores (${m.cpu ?? 'unknown CPU'}), ${m.memoryGiB ?? '?'} GiB, Node ${m.node ?? process.version}`,
    '',
    `![offered, accepted and landed events per second, backlog and end-to-end latency, with the ramp's steps](${chartFile})`,
    '',
    '## Where backpressure appeared',
    '',
  ];
  if (s.backpressure) {
    lines.push(
      `- **At ${n(s.backpressure.rate)} events/s offered** (step ${s.backpressure.step + 1} of ${report.steps.length}): ${s.backpressure.reasons.join('; ')}.`,
    );
    lines.push(
      s.keptUpTo === null
        ? '- The first step already exceeded what the pipeline took.'
        : `- Below that, at ${n(s.keptUpTo)} events/s, it kept up: accepted ≈ offered, landed ≈ accepted, no backlog growth.`,
    );
  } else {
    lines.push(
      `- **None within the ramp**: the pipeline kept up with every step, up to ${n(s.keptUpTo ?? 0)} events/s offered. Raise --max-rate to find its limit.`,
    );
  }
  lines.push(`- The highest landed rate over a step: ${n(s.peakLandedPerSecond)} events/s.`);
  lines.push('', '## How it propagated', '');
  if (s.signals.length === 0) {
    lines.push('No backlog, refusal or latency signal crossed its threshold.');
  } else {
    lines.push('First second each signal crossed its threshold, in order:', '');
    for (const sig of s.signals) {
      lines.push(
        `1. ${sig.second} s, at ${n(sig.rate)} events/s offered: ${SIGNAL_NAMES[sig.signal] ?? sig.signal} — ${sig.detail}`,
      );
    }
  }
  const quiet = Object.entries(peakParts(report.samples)).filter(
    ([part]) => !s.signals.some((sig) => sig.signal === part),
  );
  if (quiet.length > 0 || (report.transport === 'local' && !s.rejectedByCode['503'])) {
    lines.push('', 'Never crossed its threshold:', '');
    for (const [part, peak] of quiet)
      lines.push(`- ${SIGNAL_NAMES[part] ?? part}: peak ${n(peak)}${peak === 0 ? ' (always empty)' : ''}`);
    if (report.transport === 'local' && !s.rejectedByCode['503'])
      lines.push(`- ${SIGNAL_NAMES['503']}: never answered`);
  }
  if (report.timeline.length > 0) {
    lines.push('', 'Marked on the chart:', '');
    for (const t of report.timeline) lines.push(`- ${(t.atMs / 1000).toFixed(1)} s: ${t.what}`);
  }
  lines.push(
    '',
    `Once the load stopped (after ${s.offerSeconds} s, ${s.stoppedBy === 'max-events' ? 'at --max-events' : 'at the end of the schedule'}), ${s.drained ? `the pipeline drained in ${s.drainSeconds} s` : `the pipeline had **not** drained after ${s.drainSeconds} s (--drain-seconds)`}. Peak backlog ${s.peakDepth === null ? 'unknown' : n(s.peakDepth)} events; peak RSS ${s.peakRssMb === null ? 'unknown' : `${n(s.peakRssMb)} MB`}.`,
    '',
    '## Nothing lost',
    '',
    'Every landed object under `raw/` was read and its events counted by `detail.eventId`.',
    '',
    '| | events |',
    '| --- | ---: |',
    `| offered | ${n(s.offered)} |`,
    `| accepted | ${n(s.accepted)} |`,
    `| refused | ${n(s.rejected)}${
      s.rejected > 0
        ? ` (${Object.entries(s.rejectedByCode)
            .map(([k, v]) => `${k}: ${n(v)}`)
            .join(', ')})`
        : ''
    } |`,
    `| unanswered (fate unknown to the client) | ${n(s.unanswered)} |`,
    `| landed, distinct event ids | ${n(s.landedDistinct)} |`,
    `| accepted and landed | ${n(s.landedAccepted)} |`,
    `| **lost** (accepted, never landed) | **${n(s.lost)}** ${s.lost === 0 ? '✓' : '✗'} |`,
    `| **landed more than once** (extra copies) | **${n(s.duplicates)}** ${s.duplicates === 0 ? '✓' : '✗'} |`,
    `| landed without a 202/ack to the client | ${n(s.landedUnacknowledged)} |`,
    '',
    `End-to-end latency over the run: p50 ${ms(s.latency.p50Ms)}, p99 ${ms(s.latency.p99Ms)}, max ${ms(s.latency.maxMs)} (${n(s.latency.count)} events).`,
    '',
    '## Steps',
    '',
    '| step | offered rate | offered/s | accepted/s | landed/s | refused | backlog start → end (max) | p99 max |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const st of report.stepSummaries) {
    const refused = Object.values(st.rejected).reduce((a, b) => a + b, 0);
    const depth =
      st.depthStart === null ? '–' : `${n(st.depthStart)} → ${n(st.depthEnd ?? 0)} (${n(st.depthMax ?? 0)})`;
    lines.push(
      `| ${st.index + 1} | ${n(st.rate)} | ${n(st.offeredPerSecond)} | ${n(st.acceptedPerSecond)} | ${n(st.landedPerSecond)} | ${n(refused)} | ${depth} | ${ms(st.latencyP99MaxMs)} |`,
    );
  }
  lines.push(
    '',
    '## Definitions',
    '',
    '- **offered**: events the schedule called for in that second; the load is open-loop (it does not slow down when the pipeline does), and a refused event is not retried.',
    '- **accepted**: acknowledged by the transport (HTTP 202 from the ingest API; a PutEvents entry id from the Kafka producer after the broker acknowledged it, or from EventBridge).',
    '- **landed**: first seen in a landed gzip NDJSON object under `raw/`, at the object’s write time (file mtime locally; on S3, the first listing that shows it, since LastModified has whole seconds).',
    "- **latency**: landed time minus the moment the event was offered, which the generator stamps into the event itself (`detail.loadtest.offeredAt`); it includes the client's wait, the bus, the queue or topic, the batching window and the durable write. p50/p99 per second are over the events landed in that second.",
    '- **backlog**: what the transport reports as waiting — local: spool (spooled requests × entries) and landing queue; Kafka: the consumer group’s lag; LocalStack: SQS ApproximateNumberOfMessages and …NotVisible.',
    '- **RSS**: of the `elt loadtest` process, which hosts the generator and, for local and Kafka, the pipeline (landing workers are threads of it); not the broker or LocalStack.',
    '',
  );
  return lines.join('\n');
}
