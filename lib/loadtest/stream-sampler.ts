import { groupLag } from '../adapters/kafka/group-lag.js';
import type { FlinkJobManager, JobVertex } from '../adapters/stream/flink-gateway.js';

/**
 * How busy and how back-pressured one vertex (a chain of operators) of the job was, in ms per second, the most of
 * its subtasks. `busyMs` and `backPressuredMs` are the change of Flink's counters accumulateBusyTimeMs and
 * accumulateBackPressuredTimeMs over the last {@link RATE_WINDOW_MS} (the JobManager refreshes them about every
 * second, out of step with this sampler: one-second differences alias to 0 and 2×). Flink's own gauges
 * busyTimeMsPerSecond and backPressuredTimeMsPerSecond (`flink…`) are views Flink refreshes every 5 s, kept
 * beside them.
 */
export interface VertexReading {
  readonly busyMs: number | null;
  /** Waiting for an output buffer: downstream is not taking records as fast as this vertex makes them. */
  readonly backPressuredMs: number | null;
  readonly flinkBusyMs: number | null;
  readonly flinkBackPressuredMs: number | null;
}

/** Counters are turned into rates over this trailing window. */
export const RATE_WINDOW_MS = 3000;

interface Counters {
  readonly atMs: number;
  readonly busy: number | null;
  readonly backPressured: number | null;
}

/** Past counter readings, newest last, trimmed to a little over the rate window. */
class CounterHistory<T extends { readonly atMs: number }> {
  private readonly items: T[] = [];

  /** Adds a reading; returns the oldest one within the rate window before it (undefined for the first). */
  push(item: T): T | undefined {
    while (this.items.length > 1 && item.atMs - this.items[1]!.atMs >= RATE_WINDOW_MS) this.items.shift();
    const base = this.items[0];
    this.items.push(item);
    return base;
  }
}

/** One reading of the stream side, about once a second. */
export interface StreamReading {
  readonly atMs: number;
  /** By vertex label (see {@link vertexLabel}), sources first. */
  readonly vertices: Readonly<Record<string, VertexReading>>;
  /** Records the source emitted per second: the change of its numRecordsOut counter since the previous reading. */
  readonly sourceRecordsPerSecond: number | null;
  /** The stream job's group on the source topic: end offsets (read committed) less committed offsets. */
  readonly streamLag: number | null;
  /** Checkpoints completed so far. */
  readonly checkpoints: number | null;
  /** The job's state (RUNNING, RESTARTING, …); null when the JobManager did not answer. */
  readonly jobState?: string | null;
}

/**
 * A short, stable name for a vertex: the first operator of its chain, without the planner's ids where the kind is
 * unique (`source`, `sink`), with them where it is not (`WindowDeduplicate[7]`, `GlobalWindowAggregate[13]`).
 */
export function vertexLabel(name: string): string {
  if (/^Source:/.test(name)) return 'source';
  if (/: Writer\b/.test(name)) return 'sink';
  const first = name.split(' -> ')[0]!.trim();
  return first.replace(/^\(/, '').slice(0, 40);
}

/** Options of {@link StreamSampler}. */
export interface StreamSamplerOptions {
  readonly jobManager: FlinkJobManager;
  readonly jobId: string;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  /** @default 1000 */
  readonly intervalMs?: number;
}

/**
 * Reads, once a second, each vertex's busy and back-pressured time from the JobManager's REST API (metrics the
 * JobManager fetches every second: flink.sh sets metrics.fetcher.update-interval), the source's output rate, the
 * checkpoint count, and the job group's lag on the source topic. A slow reading is not piled up: the next tick
 * is skipped while one runs. Failures leave nulls, never stop the run.
 */
export class StreamSampler {
  private readonly readings: StreamReading[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private vertices: readonly JobVertex[] = [];
  private lastStreamLag: number | null = null;
  private readonly counters = new Map<string, CounterHistory<Counters>>();
  private readonly recordsOut = new CounterHistory<{ atMs: number; value: number }>();

  constructor(private readonly options: StreamSamplerOptions) {}

  async start(): Promise<void> {
    this.vertices = await this.options.jobManager.vertices(this.options.jobId);
    this.timer = setInterval(() => {
      this.running ??= this.read().finally(() => (this.running = undefined));
    }, this.options.intervalMs ?? 1000);
  }

  /** The vertex labels, sources first (the order of the JobManager's plan). */
  labels(): string[] {
    return this.vertices.map((v) => vertexLabel(v.name));
  }

  /** The job group's lag now (also what the latest reading holds). */
  async streamLag(): Promise<number> {
    const lag = await groupLag(this.options.brokers, this.options.topic, this.options.groupId);
    this.lastStreamLag = lag.total;
    return lag.total;
  }

  async stop(): Promise<StreamReading[]> {
    clearInterval(this.timer);
    await this.running;
    return [...this.readings];
  }

  private async read(): Promise<void> {
    const { jobManager, jobId } = this.options;
    const atMs = Date.now();
    const vertices: Record<string, VertexReading> = {};
    let sourceRecordsPerSecond: number | null = null;
    await Promise.all(
      this.vertices.map(async (v, i) => {
        const names = [
          'busyTimeMsPerSecond',
          'backPressuredTimeMsPerSecond',
          'accumulateBusyTimeMs',
          'accumulateBackPressuredTimeMs',
        ];
        if (i === 0) names.push('numRecordsOut');
        const m = await jobManager.vertexMetrics(jobId, v.id, names).catch(() => undefined);
        const max = (name: string): number | null => {
          const value = m?.[name]?.max;
          return value === undefined || Number.isNaN(value) ? null : Math.round(value);
        };
        const label = vertexLabel(v.name);
        const now: Counters = {
          atMs,
          busy: max('accumulateBusyTimeMs'),
          backPressured: max('accumulateBackPressuredTimeMs'),
        };
        let history = this.counters.get(label);
        if (!history) this.counters.set(label, (history = new CounterHistory<Counters>()));
        const before = now.busy === null ? undefined : history.push(now);
        vertices[label] = {
          busyMs: perSecond(before?.busy, now.busy, before?.atMs, atMs, 1000),
          backPressuredMs: perSecond(before?.backPressured, now.backPressured, before?.atMs, atMs, 1000),
          flinkBusyMs: max('busyTimeMsPerSecond'),
          flinkBackPressuredMs: max('backPressuredTimeMsPerSecond'),
        };
        if (i === 0) {
          const out = m?.numRecordsOut?.sum;
          if (out !== undefined && !Number.isNaN(out)) {
            const base = this.recordsOut.push({ atMs, value: out });
            sourceRecordsPerSecond = perSecond(base?.value, out, base?.atMs, atMs);
          }
        }
      }),
    );
    const [streamLag, checkpoints, jobState] = await Promise.all([
      this.streamLag().catch(() => this.lastStreamLag),
      jobManager.checkpoints(jobId).then(
        (c) => c.completed,
        () => null,
      ),
      jobManager.jobState(jobId).catch(() => null),
    ]);
    // Keys in plan order, whatever order the answers came in.
    const ordered: Record<string, VertexReading> = {};
    for (const label of this.labels()) if (vertices[label]) ordered[label] = vertices[label];
    this.readings.push({ atMs, vertices: ordered, sourceRecordsPerSecond, streamLag, checkpoints, jobState });
  }
}

/** The change of a counter per second between two readings (null without both; at most `cap`). */
function perSecond(
  before: number | null | undefined,
  now: number | null,
  beforeMs: number | undefined,
  nowMs: number,
  cap = Infinity,
): number | null {
  if (before === null || before === undefined || now === null || beforeMs === undefined || nowMs <= beforeMs)
    return null;
  return Math.min(cap, Math.max(0, Math.round(((now - before) * 1000) / (nowMs - beforeMs))));
}
