import { Command } from 'commander';
import { compilePattern, validateTestEvent } from '../../core/patterns/index.js';
import { CliError, readJsonArgument } from '../output.js';

/** `elt test-pattern`: answers like `aws events test-event-pattern`. */
export function testPatternCommand(): Command {
  return new Command('test-pattern')
    .description(
      'Test whether an event matches an EventBridge event pattern, with the semantics of `aws events test-event-pattern`. Prints true or false.',
    )
    .requiredOption('--pattern <json|@file>', 'the event pattern, inline JSON or @path')
    .requiredOption(
      '--event <json|@file>',
      'the event (a full envelope: id, account, source, time, region, detail-type …), inline JSON or @path',
    )
    .option('--json', 'print {"result": true|false}', false)
    .action(async (options: { pattern: string; event: string; json: boolean }) => {
      const pattern = await readJsonArgument('--pattern', options.pattern);
      const event = await readJsonArgument('--event', options.event);
      let compiled;
      try {
        compiled = compilePattern(pattern);
      } catch (error) {
        throw new CliError((error as Error).message, { cause: error });
      }
      try {
        validateTestEvent(event);
      } catch (error) {
        throw new CliError((error as Error).message, { cause: error });
      }
      const result = compiled.matches(event);
      process.stdout.write(options.json ? `${JSON.stringify({ result })}\n` : `${result}\n`);
    });
}
