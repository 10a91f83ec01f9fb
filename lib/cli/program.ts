import { Command, CommanderError } from 'commander';
import { catalogueCommand } from './commands/catalogue.js';
import { compactCommand } from './commands/compact.js';
import { oltpCommand } from './commands/oltp.js';
import { costCommand } from './commands/cost.js';
import { dataApiCommand } from './commands/dataapi.js';
import { dbtCommand } from './commands/dbt.js';
import { demoCommand } from './commands/demo.js';
import { generateCommand } from './commands/generate.js';
import { landCommand } from './commands/land.js';
import { loadtestCommand } from './commands/loadtest.js';
import { publishCommand } from './commands/publish.js';
import { quarantineCommand } from './commands/quarantine.js';
import { queryCommand } from './commands/query.js';
import { runCommand, runsCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { streamCommand } from './commands/stream.js';
import { redriveCommand } from './commands/redrive.js';
import { replayCommand } from './commands/replay.js';
import { testPatternCommand } from './commands/test-pattern.js';
import { CliError } from './output.js';

/** The `elt` program with every command. */
export function buildProgram(): Command {
  const program = new Command('elt')
    .description(
      'Serverless ELT pipeline: bus → queue → landing (gzip NDJSON) → warehouse → SQL models. Runs locally on embedded defaults.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const command of [
    demoCommand(),
    publishCommand(),
    landCommand(),
    serveCommand(),
    loadtestCommand(),
    redriveCommand(),
    replayCommand(),
    runCommand(),
    runsCommand(),
    compactCommand(),
    queryCommand(),
    quarantineCommand(),
    generateCommand(),
    testPatternCommand(),
    catalogueCommand(),
    costCommand(),
    dataApiCommand(),
    dbtCommand(),
    oltpCommand(),
    streamCommand(),
  ]) {
    program.addCommand(command.exitOverride().showHelpAfterError('(run with --help for usage)'));
  }
  return program;
}

/** Runs the CLI; returns the exit code. Errors become one line on stderr (and JSON on stdout with --json). */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed help or the usage error.
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`elt: ${message}\n`);
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
    if (!(error instanceof CliError) && process.env.ELT_DEBUG)
      process.stderr.write(`${(error as Error).stack}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
