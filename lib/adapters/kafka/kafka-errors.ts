import { EltError } from '../../core/util/errors.js';

/** Kafka cannot be used: not reachable, or the topic is missing. The message says what to do. */
export class KafkaUnavailableError extends EltError {}

interface NestedError {
  readonly code?: string;
  readonly apiId?: string;
  readonly message?: string;
  readonly cause?: unknown;
  readonly errors?: readonly unknown[];
}

/** Every error in a nested chain (AggregateError members and causes), outermost first. */
function* chain(error: unknown, depth = 0): Generator<NestedError> {
  if (!error || typeof error !== 'object' || depth > 8) return;
  const e = error as NestedError;
  yield e;
  for (const inner of e.errors ?? []) yield* chain(inner, depth + 1);
  if (e.cause) yield* chain(e.cause, depth + 1);
}

/** What went wrong, in the terms a user can act on. */
export type KafkaFailure = 'unreachable' | 'unknown-topic' | 'too-large' | 'timeout' | 'other';

/** Classifies an error of the Kafka client. */
export function kafkaFailure(error: unknown): KafkaFailure {
  for (const e of chain(error)) {
    if (e.apiId === 'MESSAGE_TOO_LARGE' || e.apiId === 'RECORD_LIST_TOO_LARGE') return 'too-large';
    if (e.apiId === 'UNKNOWN_TOPIC_OR_PARTITION' || /^Unknown topic /.test(e.message ?? ''))
      return 'unknown-topic';
  }
  for (const e of chain(error)) {
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EHOSTUNREACH')
      return 'unreachable';
    if (/Cannot connect to any broker/.test(e.message ?? '')) return 'unreachable';
  }
  for (const e of chain(error)) if (/timed? ?out/i.test(e.message ?? '')) return 'timeout';
  return 'other';
}

/** One line describing a Kafka error, with the fix when there is one. */
export function explainKafkaError(error: unknown, brokers: readonly string[], topic?: string): string {
  const where = brokers.join(',');
  switch (kafkaFailure(error)) {
    case 'unreachable':
      return `cannot reach Kafka at ${where} (connection refused). Start the broker: npm run kafka:up, or pass --brokers host:port`;
    case 'unknown-topic':
      return `topic ${topic ?? '(unknown)'} does not exist on ${where}: create it (scripts/services/kafka.sh topic ${topic ?? '<name>'} 3) or pass --create-topic`;
    case 'too-large':
      return `Kafka at ${where} refused a record as too large (MESSAGE_TOO_LARGE): raise the broker's message.max.bytes or send smaller events`;
    case 'timeout':
      return `Kafka at ${where} did not answer in time: ${(error as Error).message}`;
    default:
      return `Kafka at ${where}: ${details(error)}`;
  }
}

/** The distinct messages of a nested error, with protocol error names: "Producing messages failed. (NOT_LEADER_OR_FOLLOWER: …)". */
function details(error: unknown): string {
  const parts: string[] = [];
  for (const e of chain(error)) {
    const text = [e.apiId, e.message].filter(Boolean).join(': ');
    if (text && !parts.includes(text)) parts.push(text);
  }
  return parts.length <= 1 ? (parts[0] ?? String(error)) : `${parts[0]} (${parts.slice(1, 4).join('; ')})`;
}
