import {
  DEPLOY_SECTIONS,
  KAFKA_SETTINGS,
  SELF_MANAGED_KAFKA_SETTINGS,
} from '../../core/deploy-config/settings.js';
import type { SectionValue } from '../../core/deploy-config/setting.js';
import type { CustomReader, Fail, Raw, SettingsReader } from './settings-reader.js';

/** What both Kafka modes share (declared in KAFKA_SETTINGS, lib/core/deploy-config/settings.ts). */
export type KafkaCommonConfig = Omit<SectionValue<typeof KAFKA_SETTINGS>, 'mode'>;

/** An MSK Serverless cluster the stateful stack creates in the warehouse VPC, with IAM access control. */
export interface MskServerlessKafkaConfig extends KafkaCommonConfig {
  readonly mode: 'msk-serverless';
}

/** A Kafka cluster run elsewhere, reached over the internet with SASL/SCRAM (or basic) credentials. */
export interface SelfManagedKafkaConfig
  extends KafkaCommonConfig, SectionValue<typeof SELF_MANAGED_KAFKA_SETTINGS> {
  readonly mode: 'self-managed';
}

/** The Kafka landing path: where the topic is and how the event source mapping reads it. */
export type KafkaConfig = MskServerlessKafkaConfig | SelfManagedKafkaConfig;

const BROKER =
  /^(?=.{1,300}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*:\d{1,5}$/;

/** `kafka.bootstrapServers`: 1–10 brokers as `host:port`, each port 1–65535. */
export function bootstrapServersReader(fail: Fail): Record<string, CustomReader> {
  return {
    'kafka.bootstrapServers': (path, servers) => {
      if (servers === undefined)
        return fail(path, `is not set: ${SELF_MANAGED_KAFKA_SETTINGS.bootstrapServers.missing}`);
      if (!Array.isArray(servers) || servers.length < 1 || servers.length > 10)
        return fail(path, `must be a list of 1–10 brokers as "host:port", got ${JSON.stringify(servers)}`);
      return servers.map((server: unknown, i) => {
        if (typeof server !== 'string' || !BROKER.test(server))
          return fail(`${path}[${i}]`, `must be a broker as "host:port", got ${JSON.stringify(server)}`);
        const port = Number(server.slice(server.lastIndexOf(':') + 1));
        if (port < 1 || port > 65_535) fail(`${path}[${i}]`, `must have a port from 1 to 65535, got ${port}`);
        return server;
      });
    },
  };
}

/**
 * The `kafka` section: the settings of both modes, then those of `self-managed`, which MSK Serverless
 * refuses; `retryAttempts` only beside `provisionedPollers`.
 */
export function parseKafka(reader: SettingsReader, raw: Raw, fail: Fail): KafkaConfig {
  reader.rejectUnknown('kafka', raw, Object.keys(DEPLOY_SECTIONS.kafka));
  const { mode, ...common } = reader.read('kafka', KAFKA_SETTINGS, raw);
  if (raw.retryAttempts !== undefined && !common.provisionedPollers) {
    fail(
      'kafka.retryAttempts',
      'applies only in provisioned mode: set kafka.provisionedPollers too (in on-demand mode Lambda retries a failing batch until it succeeds or its records expire)',
    );
  }
  // Lambda takes a retry limit only in provisioned mode; on demand it retries until the records expire.
  const { retryAttempts, ...onDemand } = common;
  const shared: KafkaCommonConfig = common.provisionedPollers ? { ...onDemand, retryAttempts } : onDemand;
  if (mode === 'self-managed') {
    return { mode, ...shared, ...reader.read('kafka', SELF_MANAGED_KAFKA_SETTINGS, raw) };
  }
  for (const setting of Object.keys(SELF_MANAGED_KAFKA_SETTINGS)) {
    if (raw[setting] !== undefined) {
      fail(
        `kafka.${setting}`,
        'applies only to mode "self-managed": the MSK Serverless cluster is created by the stack and uses IAM access control',
      );
    }
  }
  return { mode, ...shared };
}
