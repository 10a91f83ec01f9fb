import { Command, Option } from 'commander';
import { gunzipNdjson } from '../../core/landing/ndjson-gzip.js';
import { QUARANTINE_PREFIX } from '../../core/landing/object-keys.js';
import type { QuarantineRecord } from '../../core/landing/quarantine.js';
import { openDataDir, withCommonOptions, type CommonOptions } from '../context.js';
import { intInRange, n, table } from '../output.js';

/** `elt quarantine`: what was rejected, and why. */
export function quarantineCommand(): Command {
  return withCommonOptions(
    new Command('quarantine')
      .description('Summarize the quarantine: rejected inputs by stage and reason code, with examples.')
      .addOption(
        new Option('--examples <n>', 'examples to show per code').default(1).argParser(intInRange(0, 1000)),
      ),
  ).action(async (options: CommonOptions & { examples: number }) => {
    const ctx = await openDataDir(options, { mustExist: true });
    const groups = new Map<
      string,
      { stage: string; code: string; count: number; examples: QuarantineRecord[] }
    >();
    for await (const object of ctx.store.list(QUARANTINE_PREFIX)) {
      for (const line of await gunzipNdjson(await ctx.store.get(object.key))) {
        const record = JSON.parse(line) as QuarantineRecord;
        const key = `${record.stage}/${record.code}`;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { stage: record.stage, code: record.code, count: 0, examples: [] }));
        g.count++;
        if (g.examples.length < options.examples) g.examples.push(record);
      }
    }
    const rows = [...groups.values()].sort((a, b) => b.count - a.count);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(rows)}\n`);
      return;
    }
    if (rows.length === 0) {
      process.stdout.write('quarantine is empty\n');
      return;
    }
    const total = rows.reduce((s, r) => s + r.count, 0);
    const lines = [
      `${n(total)} quarantined input(s)`,
      '',
      table(rows.map(({ stage, code, count }) => ({ stage, code, count }))),
    ];
    for (const r of rows) {
      for (const e of r.examples) {
        const input =
          e.input.length > 160 ? `${e.input.slice(0, 160)}… (${n(e.input.length)} chars)` : e.input;
        lines.push(
          '',
          `${r.stage}/${r.code} — ${e.reason}`,
          `  ref ${e.ref}`,
          `  input ${JSON.stringify(input)}`,
        );
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
