import { Option, type Command } from 'commander';
import { KAFKA_COMPRESSIONS } from '../adapters/kafka/kafka-bus.js';
import { CliError } from './output.js';

/** Options of commands that talk to Kafka. */
export interface KafkaCliOptions {
  readonly brokers: string;
  readonly topic?: string;
}

/** The broker the repository's script starts (scripts/services/kafka.sh). */
export const DEFAULT_BROKERS = '127.0.0.1:9092';
/** The topic `elt publish` and `elt land` use unless told. */
export const DEFAULT_TOPIC = 'elt-events';

/** Adds `--brokers` (or `$ELT_KAFKA_BROKERS`) and `--topic` (or `$ELT_KAFKA_TOPIC`). */
export function withKafkaOptions(command: Command, topicHelp: string): Command {
  return command
    .addOption(
      new Option('--brokers <host:port,…>', 'Kafka bootstrap brokers (with --transport kafka)')
        .env('ELT_KAFKA_BROKERS')
        .default(DEFAULT_BROKERS),
    )
    .addOption(new Option('--topic <name>', topicHelp).env('ELT_KAFKA_TOPIC'));
}

/** Adds `--compression` for producers. */
export function withCompressionOption(command: Command): Command {
  return command.addOption(
    new Option('--compression <codec>', 'producer compression (with --transport kafka)')
      .choices(KAFKA_COMPRESSIONS)
      .default('lz4'),
  );
}

/** Parses `host:port[,host:port…]`. */
export function parseBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const bad = brokers.find((b) => !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(b));
  if (brokers.length === 0 || bad !== undefined) {
    throw new CliError(`--brokers must be host:port[,host:port…], got ${JSON.stringify(value)}`);
  }
  return brokers;
}

/** Checks a topic name as Kafka does: 1–249 of letters, digits, ".", "_", "-". */
export function parseTopic(value: string): string {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(value) || value === '.' || value === '..') {
    throw new CliError(
      `--topic must be 1–249 letters, digits, ".", "_" or "-", got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Adds `--brokers` and `--topic`, the topic defaulting to {@link DEFAULT_TOPIC}. */
export function withDefaultTopicOptions(command: Command): Command {
  return withKafkaOptions(command, `with --transport kafka: the topic (default ${DEFAULT_TOPIC})`);
}

/** The checked brokers and topic of a command's options; the topic is `fallbackTopic` when not given. */
export function kafkaTarget(
  options: KafkaCliOptions,
  fallbackTopic: string = DEFAULT_TOPIC,
): { brokers: string[]; topic: string } {
  return { brokers: parseBrokers(options.brokers), topic: parseTopic(options.topic ?? fallbackTopic) };
}
