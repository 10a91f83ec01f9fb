/**
 * The rule catalogue: which events go where. Defined once; the in-process bus routes with these rules and
 * the CDK stacks create an EventBridge rule from each, with the same pattern.
 */

/** An EventBridge event pattern, as JSON. */
export type EventPatternJson = Readonly<Record<string, unknown>>;

/** Where a rule delivers: a logical queue name, bound to a real queue by each runtime. */
export interface RuleTarget {
  readonly queue: 'landing';
}

/** One routing rule. */
export interface RuleDefinition {
  /** Rule name (EventBridge: 1–64 of [.\-_A-Za-z0-9]). */
  readonly name: string;
  readonly description: string;
  readonly pattern: EventPatternJson;
  readonly target: RuleTarget;
}

/** Every rule of the pipeline. */
export const RULES: readonly RuleDefinition[] = [
  {
    name: 'land-every-event',
    description:
      'Every event on the bus goes to the landing queue. Landing validates against the catalogue and quarantines what no schema accepts, so an unknown event is kept with its reason instead of being dropped by routing.',
    // A prefix of "" matches any string, and every event has a source: the documented "match all" pattern.
    pattern: { source: [{ prefix: '' }] },
    target: { queue: 'landing' },
  },
];
