import { describe, expect, it } from 'vitest';
import { buildLoadReport } from '../../lib/loadtest/load-report.js';
import { rampSteps } from '../../lib/loadtest/ramp-schedule.js';
import type { LoadSample } from '../../lib/loadtest/sample-recorder.js';
import { analyseStream, type StreamAnalysisInput } from '../../lib/loadtest/stream-analysis.js';
import {
  buildStreamReport,
  renderStreamChart,
  renderStreamMarkdown,
} from '../../lib/loadtest/stream-report.js';
import type { StreamReading, VertexReading } from '../../lib/loadtest/stream-sampler.js';
import { vertexLabel } from '../../lib/loadtest/stream-sampler.js';
import type { StreamRunData } from '../../lib/loadtest/stream-target.js';

// A recorded run replayed without services: three 10-second steps (1,000, 2,000, 4,000 events/s) and a 20-second
// drain (and 40 s more while the last results come). The job keeps up with the first two; in the third its window operator is saturated, the source waits on
// it (back-pressured), and its group's lag grows while the landing's stays small. Both lags are 0 again 12 s after
// the load stops.

const START_MS = Date.parse('2026-12-03T10:00:00.000Z');
const STEPS = rampSteps({
  startRate: 1000,
  step: { kind: 'multiply', by: 2 },
  stepSeconds: 10,
  maxRate: 4000,
  maxSeconds: 30,
});
const VERTICES = ['source', 'WindowDeduplicate[7]', 'GlobalWindowAggregate[13]', 'sink'];
const CAPACITY = 2500;

function vertex(busyMs: number, backPressuredMs: number): VertexReading {
  return { busyMs, backPressuredMs, flinkBusyMs: busyMs, flinkBackPressuredMs: backPressuredMs };
}

/** The driver's samples and the sampler's readings of the run; `sourceBound`: the source chain is the slow part. */
function recorded(sourceBound = false): { samples: LoadSample[]; readings: StreamReading[] } {
  const samples: LoadSample[] = [];
  const readings: StreamReading[] = [];
  let streamLag = 0;
  for (let second = 0; second < 90; second++) {
    const drain = second >= 30;
    const step = drain ? undefined : STEPS.find((s) => s.startMs <= second * 1000 && second * 1000 < s.endMs);
    const rate = step?.rate ?? 0;
    const read = Math.min(CAPACITY, rate + streamLag);
    streamLag = Math.max(0, streamLag + rate - (drain ? 4000 : read));
    const landingLag = drain ? 0 : Math.round(rate / 4);
    samples.push({
      second,
      phase: drain ? 'drain' : 'ramp',
      step: step?.index ?? null,
      scheduledRate: rate,
      offered: rate,
      accepted: rate,
      rejected: {},
      unanswered: 0,
      landed: rate,
      duplicates: 0,
      inFlight: 0,
      depth: landingLag + streamLag,
      depthParts: { lag: landingLag, streamLag },
      latencyP50Ms: rate > 0 ? 300 : null,
      latencyP99Ms: rate > 0 ? 700 : null,
      rssMb: 300,
    });
    const behind = streamLag > 0;
    readings.push({
      atMs: START_MS + second * 1000 + 500,
      vertices: {
        source: vertex(behind && sourceBound ? 990 : 300, behind && !sourceBound ? 600 : 0),
        'WindowDeduplicate[7]': vertex(behind && !sourceBound ? 970 : 200, 0),
        'GlobalWindowAggregate[13]': vertex(50, 0),
        sink: vertex(20, 0),
      },
      sourceRecordsPerSecond: drain && streamLag === 0 ? 0 : read,
      streamLag,
      checkpoints: Math.floor(second / 5),
    });
  }
  return { samples, readings };
}

function input(over: Partial<StreamAnalysisInput> = {}): StreamAnalysisInput {
  const { samples, readings } = recorded();
  return {
    samples,
    steps: STEPS,
    startMs: START_MS,
    vertices: VERTICES,
    readings,
    results: {
      minutes: [
        // Closed by the load: read 13.2 s after its end (10 s of lateness, then the checkpoint's commit).
        {
          windowStart: '2026-12-02T23:59:00.000Z',
          windowEnd: '2026-12-03T10:00:00.000Z',
          value: 0,
          readAtMs: START_MS + 13_200,
        },
        {
          windowStart: '2026-12-03T10:00:00.000Z',
          windowEnd: '2026-12-03T10:01:00.000Z',
          value: 69_990,
          readAtMs: START_MS + 76_000,
        },
        // Closed by the watermark ticks sent after the load, before its end in wall-clock time.
        {
          windowStart: '2026-12-03T10:01:00.000Z',
          windowEnd: '2026-12-03T10:02:00.000Z',
          value: 0,
          readAtMs: START_MS + 80_000,
        },
      ],
      late: 10,
      repeated: 0,
      total: 7,
    },
    acceptedLogins: 70_000,
    allowedLatenessSeconds: 10,
    checkpointIntervalSeconds: 5,
    ticksSentAtMs: START_MS + 79_000,
    ...over,
  };
}

describe('the stream load analysis', () => {
  it('names the vertex back-pressured first, the offered rate then, and the busy vertex downstream it waits on', () => {
    const a = analyseStream(input());
    expect(a.firstBackpressure).toMatchObject({
      vertex: 'source',
      second: 20,
      rate: 4000,
      valueMs: 600,
      bottleneck: 'WindowDeduplicate[7]',
      bottleneckBusyMs: 970,
    });
    expect(a.backpressureOrder.map((v) => v.vertex)).toEqual(['source']);
    expect(a.busyOrder[0]).toMatchObject({ vertex: 'WindowDeduplicate[7]', second: 20 });
    expect(a.keptUpTo).toBe(2000);
  });

  it('reports no backpressure but the saturated source when the source chain itself is the slow part', () => {
    const { samples, readings } = recorded(true);
    const a = analyseStream(input({ samples, readings }));
    expect(a.firstBackpressure).toBeNull();
    expect(a.busyOrder[0]).toMatchObject({ vertex: 'source', second: 20, rate: 4000, valueMs: 990 });
  });

  it('reads a sawtooth of the job group’s lag (offsets committed at checkpoints) as keeping up, and rising troughs as falling behind', () => {
    // 30 s at 2,000/s: committed every 5 s, the lag climbs to 10,000 and falls back to 0. Then 30 s at 4,000/s
    // of which the job takes 3,000/s: each trough 5,000 higher than the last.
    const steps = rampSteps({
      startRate: 2000,
      step: { kind: 'multiply', by: 2 },
      stepSeconds: 30,
      maxRate: 4000,
      maxSeconds: 60,
    });
    const samples: LoadSample[] = [];
    const readings: StreamReading[] = [];
    for (let second = 0; second < 60; second++) {
      const rate = second < 30 ? 2000 : 4000;
      const phase = second % 5;
      const lag = second < 30 ? phase * rate : (second - 30 - phase) * 1000 + phase * rate;
      samples.push({
        ...recorded().samples[0]!,
        second,
        phase: 'ramp',
        step: second < 30 ? 0 : 1,
        scheduledRate: rate,
        offered: rate,
        accepted: rate,
        landed: rate,
        depthParts: { lag: 0, streamLag: lag },
      });
      readings.push({
        atMs: START_MS + second * 1000 + 500,
        vertices: {},
        sourceRecordsPerSecond: null,
        streamLag: lag,
        checkpoints: null,
      });
    }
    const a = analyseStream(input({ samples, readings, steps, vertices: [] }));
    expect(a.streamLagSignal).toMatchObject({ rate: 4000 });
    expect(a.streamLagSignal!.second).toBeGreaterThanOrEqual(35);
    expect(a.keptUpTo).toBe(2000);
  });

  it('finds the lag peaks, how far behind the job was, and when both groups were back at 0 after the load', () => {
    const a = analyseStream(input());
    // 10 s × (4,000 − 2,500) records.
    expect(a.lags.streamMax).toBe(15_000);
    expect(a.lags.streamMaxSecond).toBe(29);
    expect(a.lags.streamMaxBehindSeconds).toBe(3.8);
    expect(a.lags.landingMax).toBe(1000);
    expect(a.recovery.offerEndSecond).toBe(30);
    // The job catches up at 4,000/s: 15,000 records in four seconds.
    expect(a.recovery.streamZeroAfter).toBe(4);
    expect(a.recovery.landingZeroAfter).toBe(1);
    expect(a.recovery.bothZeroAfter).toBe(4);
    expect(a.throughput.catchUpMean).toBe(CAPACITY);
  });

  it('keeps a lag that was not read in a second at its last value instead of a gap', () => {
    const base = input();
    const readings = base.readings.filter((r) => r.atMs !== START_MS + 25_500);
    const samples = base.samples.map((s) =>
      s.second === 25 ? { ...s, depthParts: {} as Record<string, number> } : s,
    );
    const a = analyseStream({ ...base, readings, samples });
    expect(a.series[25]!.streamLag).toBe(a.series[24]!.streamLag);
    expect(a.series[25]!.landingLag).toBe(a.series[24]!.landingLag);
  });

  it('measures latency from each minute’s end to its result, leaving out the minutes the watermark ticks closed', () => {
    const a = analyseStream(input());
    expect(a.latency.count).toBe(2);
    expect(a.latency.p50Ms).toBe(13_200);
    expect(a.latency.p99Ms).toBe(16_000);
    expect(a.latency.floorMs).toBe(10_000);
    expect(a.latency.commitWaitMaxMs).toBe(5000);
    expect(a.latency.windows.filter((w) => w.closedByTicks).map((w) => w.windowEnd)).toEqual([
      '2026-12-03T10:02:00.000Z',
    ]);
    expect(a.series[76]!.windowLatencyMs).toBe(16_000);
    expect(a.series[13]!.windowLatencyMs).toBe(13_200);
    expect(a.series[80]?.windowLatencyMs ?? null).toBeNull();
  });

  it('accepts the run when the minutes add up to the acknowledged logins less the late ones, and names what is missing otherwise', () => {
    expect(analyseStream(input()).loss).toEqual({
      acceptedLogins: 70_000,
      counted: 69_990,
      late: 10,
      missing: 0,
      repeatedResults: 0,
      ok: true,
    });
    const short = analyseStream(input({ acceptedLogins: 70_005 }));
    expect(short.loss).toMatchObject({ missing: 5, ok: false });
    const repeated = analyseStream(input({ results: { ...input().results, repeated: 1 } }));
    expect(repeated.loss.ok).toBe(false);
  });

  it('lists the job’s state changes, so that a restart (a TaskManager lost) shows where it happened', () => {
    const base = input();
    const readings = base.readings.map((r, i) => ({
      ...r,
      jobState: i >= 35 && i < 40 ? 'RESTARTING' : 'RUNNING',
    }));
    expect(analyseStream({ ...base, readings }).jobStates).toEqual([
      { second: 0, state: 'RUNNING' },
      { second: 35, state: 'RESTARTING' },
      { second: 40, state: 'RUNNING' },
    ]);
  });

  it('sums what the producers offered and Kafka acknowledged from the first back-pressured second on', () => {
    const a = analyseStream(input());
    expect(a.producers).toEqual({
      fromSecond: 20,
      offered: 40_000,
      accepted: 40_000,
      acceptedShare: 1,
      refused: {},
    });
  });
});

describe('the stream load report', () => {
  function report() {
    const { samples } = recorded();
    const load = buildLoadReport({
      transport: 'kafka',
      target: 'KafkaBus → topic t',
      command: 'elt loadtest --transport kafka --stream',
      machine: { cores: 2, cpu: 'Test CPU', memoryGiB: 8, node: 'v20.0.0' },
      settings: {
        startRate: 1000,
        step: 'x2',
        stepSeconds: 10,
        maxRate: 4000,
        maxSeconds: 30,
        maxEvents: 1_000_000,
        maxInFlight: 8192,
        drainSeconds: 60,
        entriesPerCall: 10,
      },
      facts: {},
      steps: STEPS,
      run: {
        startedAt: new Date(START_MS).toISOString(),
        samples,
        totals: {
          offered: 70_000,
          accepted: 70_000,
          rejected: 0,
          unanswered: 0,
          landedDistinct: 70_000,
          landedAccepted: 70_000,
          lost: 0,
          duplicates: 0,
          duplicatedEvents: 0,
          landedUnacknowledged: 0,
          foreignLines: 3,
          idMismatches: 0,
        },
        latency: { p50Ms: 300, p99Ms: 700, maxMs: 900, count: 70_000 },
        offerSeconds: 30,
        drainSeconds: 5,
        drained: true,
        stoppedBy: 'schedule',
        landedObjects: 40,
        timeline: [],
      },
    });
    const i = input();
    const data: StreamRunData = {
      job: {
        jobId: 'a'.repeat(32),
        name: 'elt-live-windows',
        sourceTopic: 't',
        resultsTopic: 't-stream',
        groupId: 'elt-stream',
        allowedLatenessSeconds: 10,
        startedBy: 'load test',
      },
      restUrl: 'http://127.0.0.1:8081',
      vertices: VERTICES,
      readings: i.readings,
      results: i.results,
      acceptedLogins: 70_000,
      watermarkTicks: { count: 3, eventTime: '2026-12-03T10:01:11.000Z', sentAtMs: START_MS + 79_000 },
      resultsComplete: true,
      resultsWaitSeconds: 6,
      checkpointIntervalSeconds: 5,
    };
    return buildStreamReport(load, data, { start: [1.5, 1.2, 1], end: [2.5, 1.8, 1.2] });
  }

  it('says where backpressure appeared first, that it does not reach the producers, and that nothing was lost', () => {
    const md = renderStreamMarkdown(report(), 'stream.svg');
    expect(md).toContain(
      '**`source`, at 4,000 events/s offered** (20 s into the run): back-pressured 600 ms/s',
    );
    expect(md).toContain('waiting on `WindowDeduplicate[7]` downstream, busy 970 ms/s');
    expect(md).toContain('It does not.');
    expect(md).toContain(
      'producers offered 40,000 events and the broker acknowledged 40,000 (100.0 %); none refused',
    );
    expect(md).toMatch(/\*\*missing\*\* \(acknowledged − counted − late\) \| \*\*0\*\* ✓/);
    expect(md).toContain('load averages (`uptime`, 1/5/15 min) 1.50, 1.20, 1.00 at the start');
    expect(md).toContain('### Where backpressure appeared');
    expect(md).toContain('closed by the records sent after the load');
    expect(report().stream.checks.every((c) => c.ok)).toBe(true);
  });

  it('draws every vertex in the backpressure and busy panels, both lags, and the minute results as dots', () => {
    const svg = renderStreamChart(report(), 'elt loadtest --transport kafka --stream');
    for (const v of VERTICES) {
      expect(svg).toContain(`data-series="backPressuredMs-${v}"`);
      expect(svg).toContain(`data-series="busyMs-${v}"`);
    }
    expect(svg).toContain('data-series="landing-lag"');
    expect(svg).toContain('data-series="stream-lag"');
    expect(svg.match(/class="dot" data-series="window-latency"/g)).toHaveLength(2);
    expect(svg.match(/class="panel"/g)).toHaveLength(5);
  });
});

describe('vertex labels', () => {
  it('names the source and the sink by their role and other vertices by their first operator', () => {
    expect(
      vertexLabel(
        'Source: KafkaSource-default_catalog.default_database.elt_events_raw -> (Calc[2] -> Calc[3])',
      ),
    ).toBe('source');
    expect(vertexLabel('elt_stream_results[35]: Writer -> elt_stream_results[35]: Committer')).toBe('sink');
    expect(vertexLabel('WindowDeduplicate[7] -> (Calc[8] -> WindowTableFunction[9])')).toBe(
      'WindowDeduplicate[7]',
    );
    expect(vertexLabel('GlobalWindowAggregate[13] -> Calc[14]')).toBe('GlobalWindowAggregate[13]');
  });
});
