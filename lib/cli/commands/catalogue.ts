import { Command } from 'commander';
import { EVENT_CATALOGUE } from '../../core/events/catalogue.js';
import { RULES } from '../../core/rules.js';
import { CliError, table } from '../output.js';

/** `elt catalogue`: the event types and rules. */
export function catalogueCommand(): Command {
  return new Command('catalogue')
    .description('List the event types (with their JSON Schemas) and the routing rules.')
    .option('--schema <detail-type>', 'print the JSON Schema of one event type')
    .option('--json', 'machine-readable output', false)
    .action((options: { schema?: string; json: boolean }) => {
      if (options.schema) {
        const types = EVENT_CATALOGUE.filter((t) => t.detailType === options.schema);
        if (types.length === 0) {
          throw new CliError(
            `no event type "${options.schema}" (known: ${EVENT_CATALOGUE.map((t) => t.detailType).join(', ')})`,
          );
        }
        const latest = types.reduce((a, b) => (b.version > a.version ? b : a));
        process.stdout.write(`${JSON.stringify(latest.schema, null, 2)}\n`);
        return;
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ eventTypes: EVENT_CATALOGUE, rules: RULES })}\n`);
        return;
      }
      const types = EVENT_CATALOGUE.map((t) => ({
        source: t.source,
        'detail-type': t.detailType,
        version: t.version,
        description: t.description,
      }));
      const rules = RULES.map((r) => ({
        rule: r.name,
        pattern: JSON.stringify(r.pattern),
        target: `queue:${r.target.queue}`,
      }));
      process.stdout.write(`${table(types)}\n\n${table(rules)}\n`);
    });
}
