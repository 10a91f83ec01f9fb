import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command, InvalidArgumentError, Option } from 'commander';
import { generateWorkload, itemLine } from '../../core/generator/workload.js';
import { intInRange, n, Progress } from '../output.js';

interface GenerateOptions {
  readonly events: number;
  readonly seed: string;
  readonly days: number;
  readonly out: string;
  readonly duplicateRate: number;
  readonly lateRate: number;
  readonly invalidRate: number;
  readonly json: boolean;
}

function rate(value: string): number {
  const v = Number(value);
  if (!Number.isFinite(v) || v < 0 || v > 0.5)
    throw new InvalidArgumentError('expected a rate from 0 to 0.5');
  return v;
}

/** `elt generate`: a deterministic workload as NDJSON, the input format of `elt publish`. */
export function generateCommand(): Command {
  return new Command('generate')
    .description(
      'Write a deterministic marketplace workload as NDJSON (the input of `elt publish`), with duplicates, late and invalid events at the given rates.',
    )
    .addOption(
      new Option('--events <n>', 'lines to write').default(10_000).argParser(intInRange(1, 100_000_000)),
    )
    .option('--seed <seed>', 'the same seed gives the same lines', '42')
    .addOption(new Option('--days <n>', 'simulated days').default(3).argParser(intInRange(1, 365)))
    .addOption(
      new Option('--duplicate-rate <r>', 'share of republished events').default(0.03).argParser(rate),
    )
    .addOption(new Option('--late-rate <r>', 'share of events hours late').default(0.03).argParser(rate))
    .addOption(new Option('--invalid-rate <r>', 'share of invalid inputs').default(0.02).argParser(rate))
    .option('--out <path>', 'output file, or - for stdout', '-')
    .option('--json', 'print a JSON summary on stdout (needs --out to a file)', false)
    .action(async (options: GenerateOptions) => {
      const out = options.out === '-' ? process.stdout : createWriteStream(options.out);
      const progress = new Progress(options.out !== '-' && !options.json);
      const counts = { valid: 0, duplicate: 0, invalid: 0 };
      for (const item of generateWorkload({
        events: options.events,
        seed: options.seed,
        days: options.days,
        duplicateRate: options.duplicateRate,
        lateRate: options.lateRate,
        invalidRate: options.invalidRate,
      })) {
        counts[item.truth.kind]++;
        const line = itemLine(item);
        if (!out.write(`${line}\n`)) await once(out, 'drain');
        if (item.seq % 10_000 === 0) progress.update(`${n(item.seq)}/${n(options.events)} lines`);
      }
      progress.done();
      if (out !== process.stdout) {
        out.end();
        await once(out, 'finish');
        const summary = {
          lines: options.events,
          distinctValid: counts.valid,
          duplicates: counts.duplicate,
          invalid: counts.invalid,
          out: options.out,
        };
        process.stdout.write(
          options.json
            ? `${JSON.stringify(summary)}\n`
            : `wrote ${n(options.events)} lines to ${options.out} (distinct valid ${n(counts.valid)} · duplicates ${n(counts.duplicate)} · invalid ${n(counts.invalid)})\n`,
        );
      }
    });
}
