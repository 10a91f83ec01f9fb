import { ratePanel, renderChartPanels, type Panel } from './load-chart.js';
import { analyseLoad } from './load-analysis.js';
import { renderLoadMarkdown, type LoadCheck, type LoadReport } from './load-report.js';
import type { LoadSample } from './sample-recorder.js';
import { analyseStream, STREAM_RULES, type StreamAnalysis } from './stream-analysis.js';
import type { StreamRunData } from './stream-target.js';

/** The stream part of a `--stream` run's report. */
export interface StreamReportPart {
  readonly job: StreamRunData['job'];
  readonly restUrl: string;
  readonly vertices: readonly string[];
  readonly checkpointIntervalSeconds: number;
  readonly watermarkTicks: StreamRunData['watermarkTicks'];
  readonly resultsComplete: boolean;
  readonly resultsWaitSeconds: number;
  readonly resultsRead: number;
  /** `uptime`'s load averages (1, 5, 15 min) when the run started and when it ended: the machine is shared. */
  readonly loadAverages: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly analysis: StreamAnalysis;
  readonly checks: readonly LoadCheck[];
  /** What was recorded, as it was read: every sampler reading and every minute result (the analysis replays them). */
  readonly readings: StreamRunData['readings'];
  readonly results: StreamRunData['results'];
  readonly acceptedLogins: number;
}

/** A load report with the stream job's side. */
export interface StreamLoadReport extends LoadReport {
  readonly stream: StreamReportPart;
}

/** The Flink checkpoint interval of flink.sh, when the JobManager does not say. */
const DEFAULT_CHECKPOINT_SECONDS = 5;

/** Adds the stream side, analysed, to a Kafka run's report. */
export function buildStreamReport(
  report: LoadReport,
  data: StreamRunData,
  loadAverages: StreamReportPart['loadAverages'],
): StreamLoadReport {
  const checkpointIntervalSeconds = data.checkpointIntervalSeconds ?? DEFAULT_CHECKPOINT_SECONDS;
  const analysis = analyseStream({
    samples: report.samples,
    steps: report.steps,
    startMs: Date.parse(report.startedAt),
    vertices: data.vertices,
    readings: data.readings,
    results: data.results,
    acceptedLogins: data.acceptedLogins,
    allowedLatenessSeconds: data.job.allowedLatenessSeconds,
    checkpointIntervalSeconds,
    ticksSentAtMs: data.watermarkTicks.sentAtMs,
  });
  return {
    ...report,
    stream: {
      job: data.job,
      restUrl: data.restUrl,
      vertices: data.vertices,
      checkpointIntervalSeconds,
      watermarkTicks: data.watermarkTicks,
      resultsComplete: data.resultsComplete,
      resultsWaitSeconds: data.resultsWaitSeconds,
      resultsRead: data.results.total,
      loadAverages,
      analysis,
      readings: data.readings,
      results: data.results,
      acceptedLogins: data.acceptedLogins,
      checks: [
        {
          name: 'every accepted login counted in a closed minute or as late',
          ok: analysis.loss.missing === 0,
        },
        { name: 'no result read twice (exactly once)', ok: analysis.loss.repeatedResults === 0 },
        {
          name: 'both consumer groups back to lag 0 after the load',
          ok: analysis.recovery.bothZeroAfter !== null,
        },
      ],
    },
  };
}

/** The report with the landing's lag as the only backlog, analysed again. */
function landingOnly(report: StreamLoadReport): LoadReport {
  const samples = report.samples.map((s): LoadSample => {
    const lag = s.depthParts.lag ?? null;
    return { ...s, depth: lag, depthParts: lag === null ? {} : { lag } };
  });
  const a = analyseLoad(samples, report.steps);
  const depths = samples.map((s) => s.depth).filter((d): d is number => d !== null);
  return {
    ...report,
    samples,
    stepSummaries: a.steps,
    summary: {
      ...report.summary,
      backpressure: a.backpressure,
      keptUpTo: a.keptUpTo,
      peakLandedPerSecond: a.peakLandedPerSecond,
      signals: a.signals,
      peakDepth: depths.length > 0 ? Math.max(...depths) : null,
    },
  };
}

const COLORS = ['#7b3294', '#e66101', '#0571b0', '#1a9641', '#ca0020', '#525252', '#dfc27d', '#35978f'];

/**
 * The `--stream` chart: five panels on one time axis — rates (offered, accepted, landed, and the records the Flink
 * source emitted), the two groups' consumer lag, each vertex's back-pressured and busy time (ms/s, the most of its
 * subtasks), and end-to-end latency (the landing's p99, and each minute's result: read time less window end).
 */
export function renderStreamChart(report: StreamLoadReport, title: string): string {
  const { series } = report.stream.analysis;
  const vertices = report.stream.vertices;
  const perVertex = (pick: 'busyMs' | 'backPressuredMs') =>
    vertices.map((v, i) => ({
      id: `${pick}-${v}`,
      label: v,
      color: COLORS[i % COLORS.length]!,
      values: series.map((s) => s.vertices[v]?.[pick] ?? null),
    }));
  const panels: Panel[] = [
    ratePanel(series, {
      acceptedLabel: 'acked by Kafka',
      extra: [
        {
          id: 'flink-source',
          label: 'read by Flink',
          color: '#e66101',
          values: series.map((s) => s.sourceRecordsPerSecond),
        },
      ],
    }),
    {
      title: 'Consumer lag on the topic',
      unit: 'records',
      series: [
        {
          id: 'landing-lag',
          label: 'landing group',
          color: '#1a9641',
          values: series.map((s) => s.landingLag),
        },
        {
          id: 'stream-lag',
          label: 'stream job group',
          color: '#e66101',
          values: series.map((s) => s.streamLag),
        },
      ],
    },
    {
      title: 'Flink: back-pressured time per vertex (max over subtasks)',
      unit: 'ms/s',
      series: perVertex('backPressuredMs'),
    },
    { title: 'Flink: busy time per vertex (max over subtasks)', unit: 'ms/s', series: perVertex('busyMs') },
    {
      title: 'End-to-end latency',
      unit: 'ms',
      series: [
        {
          id: 'landing-p99',
          label: 'landed p99',
          color: '#1a9641',
          values: series.map((s) => s.landingP99Ms),
        },
        {
          id: 'window-latency',
          label: 'minute result',
          color: '#ca0020',
          dots: true,
          values: series.map((s) => s.windowLatencyMs),
        },
      ],
    },
  ];
  return renderChartPanels({
    title,
    seconds: Math.max(1, series.length),
    steps: report.steps,
    timeline: [
      ...report.timeline,
      // The job's state changes after the first (RUNNING): a restart is marked where it happened.
      ...report.stream.analysis.jobStates
        .slice(1)
        .map((j) => ({ atMs: j.second * 1000, what: `stream job ${j.state}` })),
    ],
    drainFrom: series.findIndex((s) => s.phase === 'drain'),
    panels,
  });
}

const n = (v: number): string => Math.round(v).toLocaleString('en-US');
const sec = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** The `--stream` report: where Flink's backpressure appeared first, how (not) it reached the producers, recovery, loss, latency. */
export function renderStreamMarkdown(report: StreamLoadReport, chartFile: string): string {
  const st = report.stream;
  const a = st.analysis;
  const s = report.summary;
  const m = report.machine as {
    cpu?: string;
    cores?: number;
    memoryGiB?: number;
    node?: string;
    versions?: Record<string, string>;
  };
  const la = (v: readonly number[]): string => v.map((x) => x.toFixed(2)).join(', ');
  const lines: string[] = [
    '# Load test: kafka, with the stream job on Flink',
    '',
    `${report.startedAt.slice(0, 10)} · \`${report.command}\` · ${report.target} · ${m.cores ?? '?'} cores (${m.cpu ?? 'unknown CPU'}), ${m.memoryGiB ?? '?'} GiB, Node ${m.node ?? process.version}${
      m.versions?.kafka ? `, Kafka ${m.versions.kafka}` : ''
    } · load averages (\`uptime\`, 1/5/15 min) ${la(st.loadAverages.start)} at the start, ${la(st.loadAverages.end)} at the end: the 2 cores were shared with other work.`,
    '',
    `The job \`${st.job.name}\` (job ${st.job.jobId}) was started by the load test on ${st.restUrl}, reading the run's topic ${st.job.sourceTopic} as group ${st.job.groupId} beside the landing's group, writing ${st.job.resultsTopic} exactly once (checkpoints every ${st.checkpointIntervalSeconds} s, allowed lateness ${st.job.allowedLatenessSeconds} s); it was stopped at the end. Vertices, source first: ${st.vertices.map((v) => `\`${v}\``).join(' → ')}.`,
    '',
    `![offered, acknowledged, landed and Flink-read events per second; the landing's and the stream job's consumer lag; Flink back-pressured and busy time per vertex; end-to-end latency](${chartFile})`,
    '',
    '## Where backpressure appeared first',
    '',
  ];
  const fb = a.firstBackpressure;
  if (fb) {
    lines.push(
      `- **\`${fb.vertex}\`, at ${n(fb.rate)} events/s offered** (${fb.second} s into the run): back-pressured ${n(fb.valueMs)} ms/s${
        fb.bottleneck
          ? `, waiting on \`${fb.bottleneck}\` downstream, busy ${n(fb.bottleneckBusyMs ?? 0)} ms/s then`
          : ''
      }.`,
    );
    if (a.backpressureOrder.length > 1)
      lines.push(
        `- Then: ${a.backpressureOrder
          .slice(1)
          .map(
            (v) =>
              `\`${v.vertex}\` at ${v.second} s (${v.phase === 'drain' ? 'catching up after the load' : `${n(v.rate)}/s`})`,
          )
          .join(', ')}.`,
      );
  } else {
    const top = a.busyOrder[0];
    lines.push(
      `- **No vertex was back-pressured** past ${STREAM_RULES.backPressuredMs} ms/s for ${STREAM_RULES.consecutive} s in a row${
        top
          ? `: the slowest part is \`${top.vertex}\` itself, busy ${n(top.valueMs)} ms/s from ${top.second} s (${n(top.rate)} events/s offered). Nothing downstream of it is slower, so no vertex waits for an output buffer; the job falls behind where its input is, and the backlog shows first as the job group's consumer lag in Kafka`
          : ''
      }.`,
    );
  }
  if (a.busyOrder.length > 0)
    lines.push(
      `- Saturated (busy ≥ ${STREAM_RULES.busyMs} ms/s for ${STREAM_RULES.consecutive} s): ${a.busyOrder
        .map(
          (v) =>
            `\`${v.vertex}\` at ${v.second} s (${v.phase === 'drain' ? 'catching up after the load' : `${n(v.rate)}/s offered`})`,
        )
        .join(', ')}.`,
    );
  lines.push(
    a.streamLagSignal
      ? `- The job's group lag started growing at ${a.streamLagSignal.second} s (${n(a.streamLagSignal.rate)} events/s offered): ${n(a.streamLagSignal.lag)} records.`
      : '- The job group’s lag never grew past its threshold.',
    a.keptUpTo === null
      ? '- The job fell behind in the first step.'
      : `- The job kept up to ${n(a.keptUpTo)} events/s offered (no back-pressured vertex, no growing lag).`,
    `- Its throughput (records the Flink source emitted per second): at most ${a.throughput.peakStepMean === null ? '–' : n(a.throughput.peakStepMean)}/s as a step's mean; ${a.throughput.catchUpMean === null ? '–' : n(a.throughput.catchUpMean)}/s on average while catching up after the load, which is its capacity on this machine with the landing, the broker and the producer beside it.`,
  );
  const p = a.producers;
  const refused = Object.entries(p.refused).filter(([, v]) => v > 0);
  lines.push(
    '',
    '## How it reaches the producers',
    '',
    "It does not. Backpressure in Flink runs upstream inside the job, through its network buffers, to the Kafka source, which then reads slower; it stops there. Kafka decouples the producers from every consumer group: a producer's write is acknowledged once the broker has it, whoever reads it and however late. The backlog grows in the topic as the job group's lag, and producers are unaffected until the backlog is older than the topic's retention (the broker's `log.retention.hours`, 168 h by default), when unread records would be deleted.",
    '',
  );
  if (p.fromSecond !== null)
    lines.push(
      `- From the first back-pressured second (${p.fromSecond} s) to the end of the load, producers offered ${n(p.offered)} events and the broker acknowledged ${n(p.accepted)} (${((p.acceptedShare ?? 0) * 100).toFixed(1)} %)${
        refused.length > 0
          ? `; ${refused.map(([k, v]) => `${n(v)} ${k}`).join(', ')} — the generator's own limit on unanswered sends, from slow acknowledgements on the shared 2 cores (broker, Flink, landing and generator on one machine), not a signal from the job`
          : '; none refused'
      }.`,
    );
  lines.push(
    `- The job's group lag peaked at ${n(a.lags.streamMax)} records (${a.lags.streamMaxSecond ?? '–'} s${
      a.lags.streamMaxBehindSeconds === null
        ? ''
        : `, about ${a.lags.streamMaxBehindSeconds} s of the offered rate then`
    }); the landing's at ${n(a.lags.landingMax)} (${a.lags.landingMaxSecond ?? '–'} s): two groups on one topic fall behind independently.`,
    '',
    '## Recovery, and nothing lost',
    '',
    ...(a.jobStates.length > 1
      ? [
          `The job changed state during the run (red ticks on the chart): ${a.jobStates.map((j) => `${j.state} at ${j.second} s`).join(', ')}.`,
          '',
        ]
      : []),
    `Offering stopped at ${a.recovery.offerEndSecond ?? '–'} s. The landing's lag was 0 ${a.recovery.landingZeroAfter === null ? '**never**' : `${a.recovery.landingZeroAfter} s later`}; the job's ${a.recovery.streamZeroAfter === null ? '**never**' : `${a.recovery.streamZeroAfter} s later`} (its committed offsets move at checkpoints); both ${a.recovery.bothZeroAfter === null ? '**never**' : `after ${a.recovery.bothZeroAfter} s`}. ${st.watermarkTicks.count} records (one per partition, event time ${st.watermarkTicks.eventTime ?? '–'}) then moved the watermark past the last minute of the load, so that minute closed too (they fall in a later minute, which never closes, and count in no result); the last results were read ${st.resultsWaitSeconds} s after the drain.`,
    '',
    '| | events |',
    '| --- | ---: |',
    `| logins acknowledged by Kafka | ${n(a.loss.acceptedLogins)} |`,
    `| counted in the closed minutes (StreamWindowCounted logins/minute, summed) | ${n(a.loss.counted)} |`,
    `| late (LateEventSeen of this run) | ${n(a.loss.late)} |`,
    `| **missing** (acknowledged − counted − late) | **${n(a.loss.missing)}** ${a.loss.missing === 0 ? '✓' : '✗'} |`,
    `| results read twice (read committed) | ${n(a.loss.repeatedResults)} ${a.loss.repeatedResults === 0 ? '✓' : '✗'} |`,
    `| landed: lost / landed twice | ${n(s.lost)} / ${n(s.duplicates)} ${s.lost === 0 && s.duplicates === 0 ? '✓' : '✗'} |`,
    '',
    ...[...s.checks, ...st.checks].map((c) => `- ${c.ok ? '✓' : '✗'} ${c.name}`),
    '',
    '## End-to-end latency, event to window result',
    '',
    `The time a minute's result was read from ${st.job.resultsTopic} (read committed) less the minute's end. Its floor is the allowed lateness plus up to a checkpoint interval (${sec(a.latency.floorMs)} + 0–${sec(a.latency.commitWaitMaxMs)} here): the window closes once the watermark, which trails the newest event time by the allowed lateness, passes its end, and the exactly-once sink's results become visible only when the next checkpoint commits its transaction. Above that floor is how far the job was behind. An event waits that long after the end of its minute, plus up to the minute itself.`,
    '',
    `Over ${a.latency.count} minutes: p50 ${sec(a.latency.p50Ms)}, p99 ${sec(a.latency.p99Ms)}, max ${sec(a.latency.maxMs)}.`,
    '',
    '| minute ending | logins | result read after the end |',
    '| --- | ---: | ---: |',
    ...a.latency.windows.map(
      (w) =>
        `| ${w.windowEnd} | ${n(w.value)} | ${w.closedByTicks ? `closed by the records sent after the load (${sec(w.latencyMs)}; not counted)` : sec(w.latencyMs)} |`,
    ),
    '',
    '## The landing',
    '',
  );
  // The landing's side, as the plain Kafka load test reports it (its title, line and chart aside), with its own
  // group's lag as the backlog: the run's backlog also holds the job's lag, reported above.
  const landing = renderLoadMarkdown(landingOnly(report), '');
  const from = landing.indexOf('## Where backpressure appeared');
  lines.push(landing.slice(from).replace(/^## /gm, '### '));
  lines.push(
    `- **stream lag**: the job group's lag on the run's topic, end offsets (read committed) less the offsets Flink commits at each completed checkpoint; **Flink back-pressured / busy**: \`backPressuredTimeMsPerSecond\` and \`busyTimeMsPerSecond\` of each vertex, the most of its subtasks, from the JobManager's REST API (refreshed every second: flink.sh sets metrics.fetcher.update-interval); a vertex counts as back-pressured from ${STREAM_RULES.backPressuredMs} ms/s (Flink's "low") for ${STREAM_RULES.consecutive} s in a row.`,
    '',
  );
  return lines.join('\n');
}

/**
 * The report as the JSON file holds it: objects indented, each element of an array of objects on one line (a
 * sample, a reading), and the per-second series left out (the analysis derives them from the samples and the
 * readings; `--json` prints them).
 */
export function streamReportFile(report: StreamLoadReport): string {
  const { series: _series, ...analysis } = report.stream.analysis;
  return `${jsonLines({ ...report, stream: { ...report.stream, analysis } }, '')}\n`;
}

function jsonLines(value: unknown, indent: string): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0 || !value.every((v) => v !== null && typeof v === 'object'))
      return JSON.stringify(value);
    return `[\n${value.map((v) => `${inner}${JSON.stringify(v)}`).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${jsonLines(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
