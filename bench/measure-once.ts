// One measurement in a fresh process, so peak memory is the measured code's own: prints one JSON line.
// Usage: measure-once <pipeline|ceiling> <workload.ndjson> <gzipLevel> [storeDir]
//        measure-once kafka-produce <brokers> <topic> <workload.ndjson> <storeDir>
//        measure-once kafka-land <brokers> <topic> <group> <storeDir> <expectedRecords>
//        measure-once kafka-consume <brokers> <topic> <group> <expectedRecords>
//        measure-once <land-kafka|land-sqs|land-ceiling> <events> <scratchDir>
import { measureEmbeddedPipeline } from './embedded-pipeline.js';
import { measureJsonCeiling } from './json-ceiling.js';
import { measureKafkaConsume, measureKafkaLand, measureKafkaProduce } from './kafka.js';
import { measureLandAlone } from './land-alone.js';

const USAGE = [
  'usage: measure-once <pipeline|ceiling> <workload.ndjson> <gzipLevel> [storeDir]',
  '       measure-once kafka-produce <brokers> <topic> <workload.ndjson> <storeDir>',
  '       measure-once kafka-land <brokers> <topic> <group> <storeDir> <expectedRecords>',
  '       measure-once kafka-consume <brokers> <topic> <group> <expectedRecords>',
  '       measure-once <land-kafka|land-sqs|land-ceiling> <events> <scratchDir>',
].join('\n');

async function measure(kind: string | undefined, args: string[]): Promise<object> {
  const [a, b, c, d, e] = args;
  if (kind === 'kafka-produce' && a && b && c && d) return measureKafkaProduce(a.split(','), b, c, d);
  if (kind === 'kafka-land' && a && b && c && d && e)
    return measureKafkaLand(a.split(','), b, c, d, Number(e));
  if (kind === 'kafka-consume' && a && b && c && d) return measureKafkaConsume(a.split(','), b, c, Number(d));
  if ((kind === 'land-kafka' || kind === 'land-sqs' || kind === 'land-ceiling') && a && b)
    return measureLandAlone(kind, Number(a), b);
  if ((kind === 'pipeline' || kind === 'ceiling') && a && b) {
    return kind === 'pipeline'
      ? measureEmbeddedPipeline(a, c ?? '', Number(b))
      : measureJsonCeiling(a, Number(b));
  }
  throw new Error(USAGE);
}

const [kind, ...args] = process.argv.slice(2);
const result = await measure(kind, args);
process.stdout.write(
  `${JSON.stringify({ kind, ...result, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
