import { Command, Option } from 'commander';
import { explainAwsError } from '../aws-errors.js';
import { WarehouseOwnerError } from '../../adapters/warehouse/redshift-data-warehouse.js';
import { EltRunFailedError, runElt } from '../../core/elt/run-elt.js';
import { systemClock, WarehouseLostError, type ObjectStore, type RunRecord } from '../../core/ports.js';
import { loadModels } from '../../core/elt/sql-sources.js';
import { ELT_STATE_MACHINE_TIMEOUT_MS } from '../../core/elt/elt-steps.js';
import {
  openLocal,
  usesDataDirWarehouse,
  openStore,
  withCommonOptions,
  withStoreOption,
  withWarehouseOption,
  type CommonOptions,
} from '../context.js';
import { describeRun } from '../describe-run.js';
import { CliError, intInRange, n, Progress, table } from '../output.js';
import { runOnStateMachine, wantsStateMachine, type StateMachineRunOptions } from '../state-machine-run.js';
import { Breaker, BreakerOpenError } from '../../adapters/resilience/circuit-breaker.js';

// Long enough to see any execution end: the state machine stops one at its own timeout.
const FOLLOW_TIMEOUT_S = (ELT_STATE_MACHINE_TIMEOUT_MS + 5 * 60_000) / 1000;

/** `elt run`: load what has landed and transform it. */
export function runCommand(): Command {
  return withStoreOption(
    withWarehouseOption(
      withCommonOptions(
        new Command('run')
          .description(
            "Load the landed raw objects not loaded before into the warehouse, build the SQL models in dependency order and run the data tests; publish the new tables only when every test passes. A rerun loads nothing twice. With --state-machine or --outputs, run on AWS instead: start an execution of the deployed ELT state machine and follow it step by step to its end. It runs as the pipeline's runner role, the database user that owns the pipeline's tables, and with the deployed configuration. Exit 0 when the run succeeded or nothing was new, 1 when it failed or another run held the lock, 2 when --timeout passed first (the execution is left running).",
          )
          .option(
            '--full-refresh',
            'rebuild incremental models (stg_*) from all raw data, e.g. after changing their SQL',
            false,
          )
          .addOption(
            new Option(
              '--wait-for-warehouse <seconds>',
              'when the warehouse does not answer, keep probing it through a circuit breaker for up to this long before giving up',
            )
              .default(0)
              .argParser(intInRange(0, 3600)),
          )
          .option(
            '--state-machine <arn>',
            "run on AWS: start an execution of the deployed ELT state machine (the stateless stack's StateMachineArn output) and follow it; needs states:StartExecution, states:DescribeExecution and states:GetExecutionHistory",
          )
          .option(
            '--outputs <file>',
            'as --state-machine, with the ARN read from a `cdk deploy --outputs-file` JSON (output StateMachineArn)',
          )
          .addOption(
            new Option(
              '--timeout <seconds>',
              'with --state-machine or --outputs: stop following the execution after this long and exit 2, leaving it running',
            )
              .default(FOLLOW_TIMEOUT_S, `${n(FOLLOW_TIMEOUT_S)}: the state machine's timeout + 5 min`)
              .argParser(intInRange(1, 86_400)),
          ),
      ),
    ),
  ).action(
    async (
      options: CommonOptions &
        StateMachineRunOptions & { fullRefresh: boolean; store: string; waitForWarehouse: number },
      command: Command,
    ) => {
      if (wantsStateMachine(options)) return runOnStateMachine(options, command);
      if (command.getOptionValueSource('timeout') === 'cli')
        throw new CliError('--timeout applies to a run on AWS: use it with --state-machine or --outputs');
      const remote = options.store !== 'local';
      const breaker = new Breaker('warehouse', { minimumCalls: 2, openMs: 2000 }, (t) =>
        process.stderr.write(
          `${JSON.stringify({ level: 'WARN', message: 'circuit breaker state change', ...t })}\n`,
        ),
      );
      let ctx: Awaited<ReturnType<typeof openLocal>>;
      try {
        ctx = await withinDeadline(options.waitForWarehouse * 1000, () =>
          breaker.run(() => openLocal(options, { mustExist: !remote })),
        );
      } catch (error) {
        breaker.shutdown();
        if (error instanceof CliError && options.waitForWarehouse > 0)
          throw new CliError(
            `${error.message} — still unavailable after ${options.waitForWarehouse} s. Nothing was loaded or changed; the next run starts from the same point.`,
          );
        throw error;
      }
      breaker.shutdown();
      let store: ObjectStore;
      try {
        store = openStore(options.store, () => ctx.store);
      } catch (error) {
        await ctx.warehouse.close();
        throw error;
      }
      const progress = new Progress(!options.json);
      let run: RunRecord;
      try {
        run = await runElt({
          warehouse: ctx.warehouse,
          store,
          clock: systemClock,
          models: loadModels(),
          fullRefresh: options.fullRefresh,
          onProgress: (m) => progress.update(m),
        });
      } catch (error) {
        if (!(error instanceof EltRunFailedError)) {
          if (error instanceof WarehouseOwnerError) throw new CliError(error.message);
          const lost = lostWarehouse(error);
          if (lost) {
            throw new CliError(
              `the warehouse ${ctx.warehouse.describe()} went away during the run (${(lost.cause as Error).message}). The run did not finish; published tables are never half-swapped, and the next run loads what this one did not.`,
            );
          }
          throw remote ? explainAwsError(error, 's3', `listing ${options.store}`) : error;
        }
        run = error.run;
        process.exitCode = 1;
      } finally {
        progress.done();
        await ctx.warehouse.close();
      }
      const breakers = breaker.transitions.length > 0 ? { breakers: { warehouse: breaker.transitions } } : {};
      process.stdout.write(
        options.json ? `${JSON.stringify({ ...run, ...breakers })}\n` : `${describeRun(run)}\n`,
      );
    },
  );
}

/** The {@link WarehouseLostError} behind an error, if any (it may be the cause of a step's error). */
function lostWarehouse(error: unknown): WarehouseLostError | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (e instanceof WarehouseLostError) return e;
  return undefined;
}

/** Retries `attempt` until it succeeds or `ms` have passed (0: one try), half a second apart. */
async function withinDeadline<T>(ms: number, attempt: () => Promise<T>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() + 500 > end) {
        if (error instanceof BreakerOpenError)
          throw new CliError('the warehouse did not answer (its circuit breaker is open)');
        throw error;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** `elt runs`: the run history. */
export function runsCommand(): Command {
  return withWarehouseOption(
    withCommonOptions(
      new Command('runs')
        .description('Show the ELT run history, newest first.')
        .addOption(new Option('--limit <n>', 'runs to show').default(20).argParser(intInRange(1, 10_000))),
    ),
  ).action(async (options: CommonOptions & { limit: number }) => {
    const ctx = await openLocal(options, { mustExist: usesDataDirWarehouse(options) });
    try {
      await ctx.warehouse.ensureSchema();
      const runs = await ctx.warehouse.listRuns(options.limit);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(runs)}\n`);
      } else if (runs.length === 0) {
        process.stdout.write('no runs yet: npx elt run\n');
      } else {
        const rows = runs.map((r) => ({
          run: r.runId,
          status: r.status,
          started: r.startedAt,
          seconds: r.durationMs === undefined ? null : Math.round(r.durationMs / 100) / 10,
          objects: r.objectsLoaded,
          events: r.eventsLoaded,
          models: r.models.length,
          'tests failed': r.tests.filter((t) => t.failures > 0 && !t.warn).length,
          warnings: r.tests.filter((t) => t.failures > 0 && t.warn).length,
          error: r.error ?? '',
        }));
        process.stdout.write(`${table(rows)}\n`);
      }
    } finally {
      await ctx.warehouse.close();
    }
  });
}
