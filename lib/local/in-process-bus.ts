import { randomUUID } from 'node:crypto';
import { BusSettingsError } from '../core/bus/bus-errors.js';
import { checkPutEventsRequest, EntryAcceptor, type BusContext } from '../core/bus/put-events.js';
import type { PutEventsEntry, PutEventsResult, PutEventsResultEntry } from '../core/events/envelope.js';
import { compilePattern, type CompiledPattern } from '../core/patterns/index.js';
import type { Bus, Clock } from '../core/ports.js';
import { systemClock } from '../core/ports.js';
import type { RuleDefinition, RuleTarget } from '../core/rules.js';

/** Where a rule's matched events are delivered: anything that takes an envelope body, with backpressure. */
export interface BusTargetQueue {
  trySend(body: string): boolean;
  send(body: string): Promise<void>;
}

/** Options of {@link InProcessBus}. */
export interface InProcessBusOptions extends Partial<BusContext> {
  readonly rules: readonly RuleDefinition[];
  readonly targets: Readonly<Record<RuleTarget['queue'], BusTargetQueue>>;
  readonly clock?: Clock;
  /** Event id generator. @default crypto.randomUUID */
  readonly newId?: () => string;
}

/**
 * An event bus in the process, with EventBridge semantics: PutEvents checks each entry as the service
 * does, assigns the envelope `id`, and every rule whose pattern matches delivers the envelope to its
 * target queue. Routing blocks while a target queue is full, so backpressure reaches the publisher.
 */
export class InProcessBus implements Bus {
  private readonly routes: { rule: RuleDefinition; pattern: CompiledPattern; target: BusTargetQueue }[];
  private readonly acceptor: EntryAcceptor;
  private readonly clock: Clock;
  private readonly newId: () => string;
  /** Events accepted and deliveries made, for summaries. */
  readonly stats = { accepted: 0, rejected: 0, delivered: 0, unmatched: 0 };

  constructor(options: InProcessBusOptions) {
    this.acceptor = new EntryAcceptor({
      account: options.account ?? '000000000000',
      region: options.region ?? 'us-east-1',
      ...(options.maxEntryBytes ? { maxEntryBytes: options.maxEntryBytes } : {}),
    });
    this.clock = options.clock ?? systemClock;
    this.newId = options.newId ?? randomUUID;
    this.routes = options.rules.map((rule) => {
      const target = options.targets[rule.target.queue];
      if (!target)
        throw new BusSettingsError(
          `rule ${rule.name} targets queue "${rule.target.queue}", which has no binding`,
        );
      return { rule, pattern: compilePattern(rule.pattern), target };
    });
  }

  describe(): string {
    return 'in-process';
  }

  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResult> {
    checkPutEventsRequest(entries);
    const now = this.clock.now();
    const results: PutEventsResultEntry[] = [];
    let failed = 0;
    for (const entry of entries) {
      const id = this.newId();
      const accepted = this.acceptor.accept(entry, id, now);
      if (!accepted.ok) {
        failed++;
        this.stats.rejected++;
        results.push({ ErrorCode: accepted.errorCode, ErrorMessage: accepted.errorMessage });
        continue;
      }
      this.stats.accepted++;
      let matched = false;
      for (const route of this.routes) {
        if (!route.pattern.matches(accepted.envelope)) continue;
        matched = true;
        this.stats.delivered++;
        if (!route.target.trySend(accepted.body)) await route.target.send(accepted.body);
      }
      if (!matched) this.stats.unmatched++;
      results.push({ EventId: id });
    }
    return { FailedEntryCount: failed, Entries: results };
  }
}
