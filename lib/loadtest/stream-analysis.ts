import { percentile, sortedCopy } from './percentile.js';
import type { ScheduledStep } from './ramp-schedule.js';
import type { LoadSample } from './sample-recorder.js';
import type { StreamResultsSeen } from './stream-results.js';
import type { StreamReading, VertexReading } from './stream-sampler.js';

/** What the stream side of a run recorded, as the analysis takes it (no services: recorded samples replay). */
export interface StreamAnalysisInput {
  /** The load driver's samples (offered, accepted, landed, the landing's lag as depth part `lag`). */
  readonly samples: readonly LoadSample[];
  readonly steps: readonly ScheduledStep[];
  /** The run's start, epoch ms (the readings' clock). */
  readonly startMs: number;
  /** Vertex labels, sources first. */
  readonly vertices: readonly string[];
  readonly readings: readonly StreamReading[];
  readonly results: StreamResultsSeen;
  readonly acceptedLogins: number;
  readonly allowedLatenessSeconds: number;
  readonly checkpointIntervalSeconds: number;
  /** When the watermark ticks were sent (epoch ms): minutes ending after it were closed by them, not by the load. */
  readonly ticksSentAtMs: number | null;
}

/** One second of the stream side, aligned with the load driver's samples. */
export interface StreamSecond {
  readonly second: number;
  readonly phase: LoadSample['phase'];
  readonly step: number | null;
  readonly scheduledRate: number;
  readonly offered: number;
  readonly accepted: number;
  readonly landed: number;
  /** The landing's group lag (the load driver's reading). */
  readonly landingLag: number | null;
  /** The stream job's group lag (committed at checkpoints, so it moves in checkpoint-sized steps). */
  readonly streamLag: number | null;
  readonly sourceRecordsPerSecond: number | null;
  readonly vertices: Readonly<Record<string, VertexReading>>;
  /** Minute results read in this second: the most of (read time − window end). */
  readonly windowLatencyMs: number | null;
  readonly landingP99Ms: number | null;
}

/** The first second a vertex was back-pressured (or saturated) past the threshold. */
export interface VertexSignal {
  readonly vertex: string;
  readonly second: number;
  /** The offered rate then (while draining: the last step's). */
  readonly rate: number;
  readonly phase: StreamSecond['phase'];
  readonly valueMs: number;
}

/** Where the stream side stopped keeping up, how far behind it fell, how it recovered, and the loss check. */
export interface StreamAnalysis {
  readonly series: readonly StreamSecond[];
  /** Every change of the job's state (a restart shows as RESTARTING, then RUNNING again), by second. */
  readonly jobStates: readonly { readonly second: number; readonly state: string }[];
  /** The first vertex back-pressured past the threshold, and the busiest vertex downstream of it then. */
  readonly firstBackpressure:
    (VertexSignal & { readonly bottleneck: string | null; readonly bottleneckBusyMs: number | null }) | null;
  /** Every vertex's first back-pressured second, in time order. */
  readonly backpressureOrder: readonly VertexSignal[];
  /** Every vertex's first saturated second (busy past the threshold), in time order. */
  readonly busyOrder: readonly VertexSignal[];
  /** The first second the job group's lag grew past its threshold. */
  readonly streamLagSignal: { readonly second: number; readonly rate: number; readonly lag: number } | null;
  /** The highest step rate with no back-pressured vertex and no growing job lag; null when even the first step had one. */
  readonly keptUpTo: number | null;
  /** Records per second the source emitted: the most of a step's mean, and the mean while catching up after the load. */
  readonly throughput: { readonly peakStepMean: number | null; readonly catchUpMean: number | null };
  readonly lags: {
    readonly landingMax: number;
    readonly landingMaxSecond: number | null;
    readonly streamMax: number;
    readonly streamMaxSecond: number | null;
    /** How far behind the job's group was at its peak, in seconds of the offered rate then. */
    readonly streamMaxBehindSeconds: number | null;
  };
  readonly recovery: {
    readonly offerEndSecond: number | null;
    /** Seconds from the end of offering to the first sample with the lag at 0; null when it never was. */
    readonly landingZeroAfter: number | null;
    readonly streamZeroAfter: number | null;
    readonly bothZeroAfter: number | null;
  };
  /** Producers while the job was back-pressured: what they offered and what the broker acknowledged. */
  readonly producers: {
    readonly fromSecond: number | null;
    readonly offered: number;
    readonly accepted: number;
    readonly acceptedShare: number | null;
    readonly refused: Readonly<Record<string, number>>;
  };
  /** Read time of each minute's result less the minute's end. */
  readonly latency: {
    readonly count: number;
    readonly p50Ms: number | null;
    readonly p99Ms: number | null;
    readonly maxMs: number | null;
    /** The least it can be: the allowed lateness (the watermark trails the newest event time by it)… */
    readonly floorMs: number;
    /** …plus up to a checkpoint interval (the exactly-once sink's results are visible at its commit). */
    readonly commitWaitMaxMs: number;
    /** Every minute read; `closedByTicks`: closed by the records sent after the load, left out of the figures. */
    readonly windows: readonly {
      readonly windowEnd: string;
      readonly value: number;
      readonly latencyMs: number;
      readonly closedByTicks: boolean;
    }[];
  };
  readonly loss: {
    readonly acceptedLogins: number;
    readonly counted: number;
    readonly late: number;
    /** accepted − counted − late: 0 when nothing was lost (negative: counted twice). */
    readonly missing: number;
    readonly repeatedResults: number;
    readonly ok: boolean;
  };
}

/** What counts as back-pressured and saturated, per vertex (Flink's own levels: low above 10 %, high above 50 %). */
export const STREAM_RULES = {
  /** Back-pressured for at least this many ms per second (Flink's "low" level: over 10 %)… */
  backPressuredMs: 100,
  /** …busy for at least this many ms per second counts as saturated… */
  busyMs: 800,
  /** …for this many readings in a row. */
  consecutive: 2,
  /** The first seconds after the job's first checkpoint are its warm-up (tasks busy starting), not load. */
  warmupSeconds: 5,
  /** The job group's lag grows: by more than this share of the events offered over two checkpoint intervals. */
  lagGrowthShare: 0.1,
} as const;

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const mean = (values: readonly number[]): number | null =>
  values.length === 0 ? null : Math.round(sum(values) / values.length);

/** Aligns the stream readings with the load samples by second and finds where and how the stream side fell behind. */
export function analyseStream(input: StreamAnalysisInput): StreamAnalysis {
  const R = STREAM_RULES;
  const bySecond = new Map<number, StreamReading>();
  for (const r of input.readings) bySecond.set(Math.floor((r.atMs - input.startMs) / 1000), r);
  const latencyBySecond = new Map<number, number>();
  const windows = input.results.minutes.map((m) => ({
    windowEnd: m.windowEnd,
    value: m.value,
    latencyMs: m.readAtMs - Date.parse(m.windowEnd),
    second: Math.floor((m.readAtMs - input.startMs) / 1000),
    closedByTicks: input.ticksSentAtMs !== null && Date.parse(m.windowEnd) > input.ticksSentAtMs,
  }));
  const timed = windows.filter((w) => !w.closedByTicks);
  for (const w of timed)
    latencyBySecond.set(w.second, Math.max(latencyBySecond.get(w.second) ?? 0, w.latencyMs));

  const seconds = Math.max(input.samples.length, ...[...bySecond.keys()].map((s) => s + 1));
  const series: StreamSecond[] = [];
  let lastRate = 0;
  const rates: number[] = [];
  // A lag not read in a second (a slow reading, or after the driver's last sample) holds its last value.
  let landingLag: number | null = null;
  let streamLag: number | null = null;
  for (let s = 0; s < seconds; s++) {
    const sample = input.samples[s];
    const reading = bySecond.get(s);
    landingLag = sample?.depthParts.lag ?? landingLag;
    streamLag = reading?.streamLag ?? sample?.depthParts.streamLag ?? streamLag;
    if (sample?.phase === 'ramp' && sample.scheduledRate > 0) lastRate = sample.scheduledRate;
    rates.push(sample?.phase === 'ramp' ? sample.scheduledRate : lastRate);
    series.push({
      second: s,
      phase: sample?.phase ?? 'drain',
      step: sample?.step ?? null,
      scheduledRate: sample?.scheduledRate ?? 0,
      offered: sample?.offered ?? 0,
      accepted: sample?.accepted ?? 0,
      landed: sample?.landed ?? 0,
      landingLag,
      streamLag,
      sourceRecordsPerSecond: reading?.sourceRecordsPerSecond ?? null,
      vertices: reading?.vertices ?? {},
      windowLatencyMs: latencyBySecond.get(s) ?? null,
      landingP99Ms: sample?.latencyP99Ms ?? null,
    });
  }

  const firstSustained = (pick: (v: VertexReading) => number | null, limit: number): VertexSignal[] => {
    const found: VertexSignal[] = [];
    for (const vertex of input.vertices) {
      let run = 0;
      for (const s of series) {
        if (s.second < R.warmupSeconds) continue;
        const v = s.vertices[vertex] ? pick(s.vertices[vertex]) : null;
        run = v !== null && v >= limit ? run + 1 : 0;
        if (run >= R.consecutive) {
          const first = series[s.second - R.consecutive + 1]!;
          found.push({
            vertex,
            second: first.second,
            rate: rates[first.second] ?? 0,
            phase: first.phase,
            valueMs: pick(first.vertices[vertex]!) ?? 0,
          });
          break;
        }
      }
    }
    // Ties go to the vertex nearer the source (the plan's order), which is where Flink's backpressure shows first.
    return found.sort(
      (a, b) => a.second - b.second || input.vertices.indexOf(a.vertex) - input.vertices.indexOf(b.vertex),
    );
  };
  const backpressureOrder = firstSustained((v) => v.backPressuredMs, R.backPressuredMs);
  const busyOrder = firstSustained((v) => v.busyMs, R.busyMs);

  let firstBackpressure: StreamAnalysis['firstBackpressure'] = null;
  const first = backpressureOrder[0];
  if (first) {
    // The bottleneck: the busiest vertex downstream of it that is not itself back-pressured, then.
    const at = series[first.second]!;
    const downstream = input.vertices.slice(input.vertices.indexOf(first.vertex) + 1);
    let bottleneck: string | null = null;
    let bottleneckBusyMs: number | null = null;
    for (const v of downstream) {
      const reading = at.vertices[v];
      if (!reading || reading.busyMs === null) continue;
      if ((reading.backPressuredMs ?? 0) >= R.backPressuredMs) continue;
      if (bottleneckBusyMs === null || reading.busyMs > bottleneckBusyMs) {
        bottleneck = v;
        bottleneckBusyMs = reading.busyMs;
      }
    }
    firstBackpressure = { ...first, bottleneck, bottleneckBusyMs };
  }

  // The job's lag grows: its committed offsets move at checkpoints only, so a job that keeps up shows a sawtooth
  // whose troughs stay put. The trough (least lag) of the last two checkpoint intervals has risen, against the one
  // before, by more than a share of what was offered in between, for `consecutive` + 1 seconds on end.
  let streamLagSignal: StreamAnalysis['streamLagSignal'] = null;
  const span = Math.max(1, Math.round(2 * input.checkpointIntervalSeconds));
  const trough = (to: number): number | null => {
    const lags = series
      .slice(Math.max(0, to - span + 1), to + 1)
      .map((x) => x.streamLag)
      .filter((v): v is number => v !== null);
    return lags.length > 0 ? Math.min(...lags) : null;
  };
  const growing = (s: StreamSecond): boolean => {
    if (s.phase !== 'ramp' || s.second < 2 * span - 1) return false;
    const now = trough(s.second);
    const before = trough(s.second - span);
    if (now === null || before === null) return false;
    const offered = sum(series.slice(s.second - span + 1, s.second + 1).map((x) => x.offered));
    return now - before > R.lagGrowthShare * offered && now > 100;
  };
  for (const s of series) {
    const run = series.slice(s.second, s.second + R.consecutive + 1);
    if (run.length === R.consecutive + 1 && run.every(growing)) {
      streamLagSignal = { second: s.second, rate: rates[s.second] ?? 0, lag: s.streamLag! };
      break;
    }
  }

  const troubleSecond = Math.min(first?.second ?? Infinity, streamLagSignal?.second ?? Infinity);
  const stepsBefore = input.steps.filter((st) => (st.endMs - 1) / 1000 < troubleSecond);
  const keptUpTo = stepsBefore.length > 0 ? Math.max(...stepsBefore.map((s) => s.rate)) : null;

  const stepMeans = input.steps
    .map((st) =>
      mean(
        series
          .filter((s) => s.phase === 'ramp' && s.step === st.index && s.sourceRecordsPerSecond !== null)
          .slice(1)
          .map((s) => s.sourceRecordsPerSecond!),
      ),
    )
    .filter((v): v is number => v !== null);
  const drain = series.filter((s) => s.phase === 'drain');
  const offerEndSecond = drain[0]?.second ?? null;
  const catchingUp = drain.filter(
    (s) => (s.streamLag ?? 0) > 0 && s.sourceRecordsPerSecond !== null && s.sourceRecordsPerSecond > 0,
  );

  const maxOf = (pick: (s: StreamSecond) => number | null): { value: number; second: number | null } => {
    let value = 0;
    let second: number | null = null;
    for (const s of series) {
      const v = pick(s);
      if (v !== null && v > value) {
        value = v;
        second = s.second;
      }
    }
    return { value, second };
  };
  const landingMax = maxOf((s) => s.landingLag);
  const streamMax = maxOf((s) => s.streamLag);
  const rateAtStreamMax = streamMax.second === null ? 0 : (rates[streamMax.second] ?? 0);

  const zeroAfter = (pick: (s: StreamSecond) => number | null): number | null => {
    if (offerEndSecond === null) return null;
    const z = drain.find((s) => pick(s) === 0);
    return z ? z.second - offerEndSecond + 1 : null;
  };
  const landingZero = zeroAfter((s) => s.landingLag);
  const streamZero = zeroAfter((s) => s.streamLag);
  const bothZero = zeroAfter((s) =>
    s.landingLag === null || s.streamLag === null ? null : s.landingLag + s.streamLag,
  );

  const pressured = first ? series.filter((s) => s.phase === 'ramp' && s.second >= first.second) : [];
  const refused: Record<string, number> = {};
  for (const s of pressured)
    for (const [k, v] of Object.entries(input.samples[s.second]?.rejected ?? {}))
      refused[k] = (refused[k] ?? 0) + v;
  const pOffered = sum(pressured.map((s) => s.offered));
  const pAccepted = sum(pressured.map((s) => s.accepted));

  const latencies = sortedCopy(timed.map((w) => w.latencyMs));
  const counted = sum(input.results.minutes.map((m) => m.value));
  const missing = input.acceptedLogins - counted - input.results.late;

  const jobStates: { second: number; state: string }[] = [];
  for (const r of input.readings) {
    if (!r.jobState || r.jobState === jobStates.at(-1)?.state) continue;
    jobStates.push({ second: Math.floor((r.atMs - input.startMs) / 1000), state: r.jobState });
  }

  return {
    series,
    jobStates,
    firstBackpressure,
    backpressureOrder,
    busyOrder,
    streamLagSignal,
    keptUpTo,
    throughput: {
      peakStepMean: stepMeans.length > 0 ? Math.max(...stepMeans) : null,
      catchUpMean: mean(catchingUp.map((s) => s.sourceRecordsPerSecond!)),
    },
    lags: {
      landingMax: landingMax.value,
      landingMaxSecond: landingMax.second,
      streamMax: streamMax.value,
      streamMaxSecond: streamMax.second,
      streamMaxBehindSeconds:
        rateAtStreamMax > 0 ? Math.round((streamMax.value / rateAtStreamMax) * 10) / 10 : null,
    },
    recovery: {
      offerEndSecond,
      landingZeroAfter: landingZero,
      streamZeroAfter: streamZero,
      bothZeroAfter: bothZero,
    },
    producers: {
      fromSecond: first?.second ?? null,
      offered: pOffered,
      accepted: pAccepted,
      acceptedShare: pOffered > 0 ? Math.round((pAccepted / pOffered) * 1000) / 1000 : null,
      refused,
    },
    latency: {
      count: latencies.length,
      p50Ms: percentile(latencies, 50) ?? null,
      p99Ms: percentile(latencies, 99) ?? null,
      maxMs: latencies.length > 0 ? latencies[latencies.length - 1]! : null,
      floorMs: input.allowedLatenessSeconds * 1000,
      commitWaitMaxMs: input.checkpointIntervalSeconds * 1000,
      windows: windows.map(({ windowEnd, value, latencyMs, closedByTicks }) => ({
        windowEnd,
        value,
        latencyMs,
        closedByTicks,
      })),
    },
    loss: {
      acceptedLogins: input.acceptedLogins,
      counted,
      late: input.results.late,
      missing,
      repeatedResults: input.results.repeated,
      ok: missing === 0 && input.results.repeated === 0,
    },
  };
}
