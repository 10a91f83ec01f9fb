// The machine and versions a benchmark or load test ran on, recorded beside its figures.
import { execFile } from 'node:child_process';
import { cpus, freemem, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../package-paths.js';

/** What a benchmark result must record about where it ran. */
export interface MachineInfo {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly freeMemoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly versions: Readonly<Record<string, string>>;
}

/** The machine and the versions of the parts measured (`extra`: versions only some benchmarks use). */
export function machineInfo(extra: Readonly<Record<string, string>> = {}): MachineInfo {
  const version = (pkg: string): string => {
    try {
      return (
        JSON.parse(readFileSync(join(packageRoot(), 'node_modules', pkg, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    } catch {
      return 'not installed';
    }
  };
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    versions: { '@duckdb/node-api': version('@duckdb/node-api'), ajv: version('ajv'), ...extra },
  };
}

/**
 * The versions in the Kafka benchmarks: Apache Kafka (scripts/services/kafka/pom.xml, what kafka.sh runs),
 * the Java that runs it (`$JAVA_HOME/bin/java` or `java`, as kafka.sh picks it) and the Node client.
 */
export async function kafkaVersions(): Promise<Record<string, string>> {
  const root = packageRoot();
  const pom = readFileSync(join(root, 'scripts', 'services', 'kafka', 'pom.xml'), 'utf8');
  let java = 'unknown';
  try {
    const bin = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
    const { stderr } = await promisify(execFile)(bin, ['-version']);
    java = /version "([^"]+)"/.exec(stderr)?.[1] ?? 'unknown';
  } catch {
    // No Java: the Kafka benchmarks could not have run; the version stays unknown.
  }
  let client = 'not installed';
  try {
    client = (
      JSON.parse(
        readFileSync(join(root, 'node_modules', '@platformatic', 'kafka', 'package.json'), 'utf8'),
      ) as { version: string }
    ).version;
  } catch {
    // Reported as not installed.
  }
  return {
    kafka: /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1] ?? 'unknown',
    java,
    '@platformatic/kafka': client,
  };
}
