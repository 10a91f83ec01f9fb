import { Command } from 'commander';
import { compareStreamWithBatch, describeStreamComparison } from '../../core/stream/compare.js';
import { CliError } from '../output.js';
import { openLocal, withCommonOptions, withWarehouseOption, type CommonOptions } from '../context.js';

/**
 * `elt stream compare`: the stream processor's closed windows against the batch marts, from the last
 * published ELT run (the stream_batch_agreement model, whose data test fails a run on the same condition).
 */
export function streamCompareCommand(): Command {
  return withWarehouseOption(
    withCommonOptions(
      new Command('compare').description(
        "Compare the stream processor's closed windows with the batch, from the last published ELT run: logins per minute, logins in the last hour and active users of the day, each window up to the common watermark. A window agrees when the stream's value is the batch's, or the batch's without the events the stream saw late (they explain the difference exactly). Prints windows compared, equal, explained, late events and unexplained; exit 1 on an unexplained difference.",
      ),
    ),
  ).action(async (options: CommonOptions) => {
    const ctx = await openLocal(options, { mustExist: true });
    try {
      const result = await compareStreamWithBatch(ctx.warehouse).catch((error: Error) => {
        throw new CliError(
          `cannot read the comparison (${error.message.split('\n')[0]}): run \`elt run\` once the stream's results have landed`,
        );
      });
      process.stdout.write(
        options.json ? `${JSON.stringify(result)}\n` : `${describeStreamComparison(result)}\n`,
      );
      if (result.unexplained > 0) process.exitCode = 1;
    } finally {
      await ctx.warehouse.close();
    }
  });
}
