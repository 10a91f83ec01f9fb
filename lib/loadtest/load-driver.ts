import { EventLedger, type LedgerTotals } from './event-ledger.js';
import { LandedWatcher } from './landed-watcher.js';
import { LoadEventFactory, type LoadEvent } from './load-events.js';
import type { LoadTarget, TimelineEvent } from './load-target.js';
import { offeredBy, type ScheduledStep } from './ramp-schedule.js';
import { SampleRecorder, type DepthReading, type LoadSample } from './sample-recorder.js';

/** Options of {@link runLoad}. */
export interface LoadDriverOptions {
  readonly target: LoadTarget;
  readonly steps: readonly ScheduledStep[];
  /** Events offered at most over the whole run. */
  readonly maxEvents: number;
  /** Events sent and not yet answered at most; beyond it an offered event is refused by the client (`in-flight-limit`). */
  readonly maxInFlight: number;
  /** How long to wait, once offering stops, for every accepted event to land and the backlog to empty. */
  readonly drainSeconds: number;
  /** How often the store is listed for new landed objects. @default 500 */
  readonly pollMs?: number;
  /** Called once a second with the second that just ended (progress on stderr). */
  readonly onSecond?: (tick: ProgressTick) => void;
  /**
   * A failure the run goes on past (reading the landed objects): said once per distinct message.
   * @default a line on stderr
   */
  readonly onWarning?: (message: string) => void;
  readonly factory?: LoadEventFactory;
}

/** What the progress line shows after each second. */
export interface ProgressTick {
  readonly second: number;
  readonly phase: 'ramp' | 'drain';
  readonly step: ScheduledStep | undefined;
  readonly totals: LedgerTotals;
  readonly inFlight: number;
  readonly depth: DepthReading | undefined;
  readonly rssMb: number;
}

/** What a run produced: the samples, the end-of-run totals and how the run ended. */
export interface LoadRun {
  readonly startedAt: string;
  readonly samples: readonly LoadSample[];
  readonly totals: LedgerTotals;
  readonly latency: { p50Ms: number | null; p99Ms: number | null; maxMs: number | null; count: number };
  readonly offerSeconds: number;
  readonly drainSeconds: number;
  /** Every accepted event landed and the backlog emptied before the drain deadline. */
  readonly drained: boolean;
  /** Why offering stopped. */
  readonly stoppedBy: 'schedule' | 'max-events';
  readonly landedObjects: number;
  readonly timeline: readonly TimelineEvent[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Offers load on the schedule (open loop: the offered rate does not wait for the pipeline), then stops
 * and waits, bounded, for the pipeline to drain. Every second it reads the backlog, the memory and the
 * in-flight count; landed objects are read as they appear, and every event is followed from offered to
 * landed by its id.
 */
export async function runLoad(options: LoadDriverOptions): Promise<LoadRun> {
  const { target, steps, maxEvents } = options;
  const factory = options.factory ?? new LoadEventFactory();
  const startMs = Date.now();
  const recorder = new SampleRecorder(startMs);
  const ledger = new EventLedger(factory, recorder, maxEvents);
  const watcher = new LandedWatcher({
    store: target.store,
    clock: target.landedClock,
    notBeforeMs: startMs,
    onObject: (lines, at) => ledger.landedObject(lines, at),
  });
  const rampMs = steps.at(-1)?.endMs ?? 0;
  let sent = 0;
  let inFlight = 0;
  let phase: 'ramp' | 'drain' = 'ramp';
  let lastDepth: DepthReading | undefined;
  let stopped = false;
  const pending = new Set<Promise<void>>();

  const send = (events: LoadEvent[]): void => {
    const now = Date.now();
    const ids = target.eventIds(events);
    events.forEach((e, i) => ledger.offered(e.seq, ids[i] ?? e.eventId, now));
    inFlight += events.length;
    const call = target
      .offer(events)
      .then(
        (results) => results,
        (error: Error) => events.map(() => ({ status: 'unanswered' as const, code: error.name })),
      )
      .then((results) => {
        const at = Date.now();
        events.forEach((e, i) => {
          const r = results[i] ?? { status: 'unanswered', code: 'no-result' };
          if (r.status === 'accepted') ledger.accepted(e.seq, r.eventId, at);
          else if (r.status === 'rejected') ledger.rejected(e.seq, r.code, at);
          else ledger.unanswered(e.seq, at);
        });
      })
      .finally(() => {
        inFlight -= events.length;
        pending.delete(call);
      });
    pending.add(call);
  };

  // A failed read of the landed objects is retried at the next poll; it is said once, not dropped.
  const warned = new Set<string>();
  const warn = (what: string, error: unknown): void => {
    const message = `${what}: ${(error as Error).message}`;
    if (warned.has(message)) return;
    warned.add(message);
    (options.onWarning ?? ((m: string) => process.stderr.write(`elt: warning: ${m}\n`)))(message);
  };
  const poll = (): Promise<void> =>
    watcher.poll().then(
      () => undefined,
      (error: unknown) => warn('reading the landed objects failed (retrying)', error),
    );

  // The landed objects, read as they appear.
  const pollMs = options.pollMs ?? 500;
  const polling = (async () => {
    while (!stopped) {
      await poll();
      await sleep(pollMs);
    }
  })();

  // The gauges, once a second, into the second that just ended; then the progress line.
  let second = 0;
  let reading = false;
  const ticker = setInterval(() => {
    second++;
    const at = startMs + second * 1000 - 1;
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    const tickSecond = second - 1;
    const tickPhase = phase;
    const finish = (depth: DepthReading | undefined): void => {
      recorder.gauge(at, { inFlight, depth, rssMb });
      options.onSecond?.({
        second: tickSecond,
        phase: tickPhase,
        step:
          tickPhase === 'ramp'
            ? steps.find((s) => s.startMs <= tickSecond * 1000 && tickSecond * 1000 < s.endMs)
            : undefined,
        totals: ledger.totals(),
        inFlight,
        depth,
        rssMb,
      });
    };
    // A slow backlog query (a loaded broker, LocalStack) must not pile up: the previous value stands in.
    if (reading) return finish(lastDepth);
    reading = true;
    target
      .depth()
      .then((d) => (lastDepth = d))
      .catch(() => undefined)
      .finally(() => (reading = false))
      .then(() => finish(lastDepth))
      .catch(() => undefined);
  }, 1000);

  // Offer on the schedule.
  let stoppedBy: LoadRun['stoppedBy'] = 'schedule';
  for (;;) {
    const elapsed = Math.min(rampMs, Date.now() - startMs);
    const due = Math.min(maxEvents, offeredBy(steps, elapsed));
    while (sent < due) {
      const n = Math.min(target.entriesPerCall, due - sent);
      const now = Date.now();
      if (inFlight + n > options.maxInFlight) {
        // Refused by the client itself, before the event is built: the generator must stay cheap when
        // the pipeline is far behind, or it would take the CPU the pipeline needs.
        for (let i = 0; i < n; i++) ledger.shed(sent + i, 'in-flight-limit', now);
      } else {
        const events: LoadEvent[] = [];
        for (let i = 0; i < n; i++) events.push(factory.make(sent + i, now));
        send(events);
      }
      sent += n;
    }
    if (sent >= maxEvents && sent < offeredBy(steps, rampMs)) {
      stoppedBy = 'max-events';
      break;
    }
    if (elapsed >= rampMs) break;
    await sleep(10);
  }
  const offerEndMs = Date.now();
  phase = 'drain';
  recorder.startDrain(offerEndMs);

  // Drain: answers, a flushed producer, every accepted event landed, an empty backlog — or the deadline.
  const deadline = offerEndMs + options.drainSeconds * 1000;
  const untilDeadline = async (p: Promise<unknown>): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))));
    await Promise.race([p, late]);
    clearTimeout(timer);
  };
  await untilDeadline(Promise.allSettled([...pending]));
  await untilDeadline(target.stopOffering().catch(() => undefined));
  let drained = false;
  while (Date.now() < deadline) {
    await poll();
    if (inFlight === 0 && ledger.allAcceptedLanded()) {
      const depth = await target.depth().catch(() => undefined);
      if (depth && depth.total === 0) {
        drained = true;
        break;
      }
    }
    await sleep(pollMs);
  }
  const drainEndMs = Date.now();
  clearInterval(ticker);
  stopped = true;
  await polling;
  await target.close();
  // What the close flushed, and anything landed twice by then.
  await watcher.poll();
  return {
    startedAt: new Date(startMs).toISOString(),
    samples: recorder.samples(steps, drainEndMs),
    totals: ledger.totals(),
    latency: recorder.latencySummary(),
    offerSeconds: round1((offerEndMs - startMs) / 1000),
    drainSeconds: round1((drainEndMs - offerEndMs) / 1000),
    drained,
    stoppedBy,
    landedObjects: watcher.stats.objects,
    timeline: target.timeline().map((t) => ({ atMs: t.atMs - startMs, what: t.what })),
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
